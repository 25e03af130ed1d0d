"""Codec cores: numpy + inference-engine objects with no GNU Radio inside, shared by blocks and apps.

base (Chunk, Codec, Decoded), registry (card "codec" field -> class), deepjscc (and its SNR-adaptive
variant), classical, progressive (+ entropy: its integer h_s and entropy coding), rvq (progressive
residual VQ).
"""
from .base import BYTES, SYMBOLS, Chunk, Codec, Decoded  # noqa: F401
from .registry import codec_class, codec_names, load, register  # noqa: F401
from .deepjscc import AdaptiveDeepJSCC, DeepJSCC  # noqa: F401
from .progressive import ProgressiveHyperprior  # noqa: F401
from .rvq import ProgressiveVQ  # noqa: F401
from . import classical  # noqa: F401  (registers jpeg, jpeg2000, webp, jpegxl, avif)

__all__ = ["AdaptiveDeepJSCC", "BYTES", "SYMBOLS", "Chunk", "Codec", "Decoded", "DeepJSCC", "ProgressiveHyperprior",
           "ProgressiveVQ", "codec_class", "codec_names", "load", "register"]
