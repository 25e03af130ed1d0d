#
# Copyright 2026 gr-jscc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""gr-jscc: learned joint source-channel coding of images for GNU Radio.

C++ blocks: awgn_cc, rayleigh_cc, rayleigh_tv_cc (channel models); ofdm_mod_cc, ofdm_sync_cc, ofdm_demod_cc,
soft_demapper_cf (the OFDM PHY).
Python blocks: image_source, codec_encoder / codec_encode_pdu, codec_decoder / codec_decode_pdu
(any registered codec), chunk_fec_encoder / chunk_fec_decoder, chunk_reassembler,
codec_ofdm_tx / codec_ofdm_rx, image_sink, image_view, and the Deep JSCC names from before the
codec interface (deepjscc_encoder, deepjscc_decode_pdu, deepjscc_ofdm_tx, ...).
Codec cores without GNU Radio: gnuradio.jscc.codecs; channel coding: gnuradio.jscc.coding.
"""

# pybind11 bindings of the C++ blocks
from .jscc_python import *  # noqa: F401,F403

from .blocks.image_source import file_names, image_source  # noqa: F401
from .blocks.codec_blocks import codec_decode_pdu, codec_decoder, codec_encode_pdu, codec_encoder  # noqa: F401
from .blocks.chunk_fec import chunk_fec_decoder, chunk_fec_encoder  # noqa: F401
from .blocks.deepjscc import deepjscc_decode_pdu, deepjscc_decoder, deepjscc_encode_pdu, deepjscc_encoder  # noqa: F401
from .blocks.image_sink import image_sink  # noqa: F401
from .blocks.pdu_to_stream import pdu_to_stream  # noqa: F401
from .blocks.stream_to_pdu import stream_to_pdu  # noqa: F401
from .blocks.qam_mapper import qam_mapper  # noqa: F401
from .phy.ofdm import OfdmParams, ofdm_rx, ofdm_tx  # noqa: F401
from .link.chunk_reassembler import chunk_reassembler, frame_reassembler  # noqa: F401
from .channels.channel_sim import channel_sim  # noqa: F401
from .link.codec_ofdm import codec_ofdm_rx, codec_ofdm_tx, deepjscc_ofdm_rx, deepjscc_ofdm_tx  # noqa: F401
from .blocks.image_view import image_view  # noqa: F401
from .blocks.slot_scheduler import csi_tap, slot_scheduler  # noqa: F401
