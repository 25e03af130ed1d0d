"""Codec cores: numpy + onnxruntime objects with no GNU Radio inside, shared by blocks and apps."""
from .deepjscc import DeepJSCC

__all__ = ["DeepJSCC"]
