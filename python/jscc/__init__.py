#
# Copyright 2026 gr-jscc authors.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
"""gr-jscc: learned joint source-channel coding of images for GNU Radio.

C++ blocks: awgn_cc, rayleigh_cc (channel models); ofdm_mod_cc, ofdm_sync_cc, ofdm_demod_cc,
soft_demapper_cf (the OFDM PHY).
Python blocks: image_source, deepjscc_encoder / deepjscc_encode_pdu,
deepjscc_decoder / deepjscc_decode_pdu, image_sink.
Codec cores without GNU Radio: gnuradio.jscc.codecs.
"""

# pybind11 bindings of the C++ blocks
from .jscc_python import *  # noqa: F401,F403

from .blocks.image_source import file_names, image_source  # noqa: F401
from .blocks.deepjscc_encoder import deepjscc_encoder, deepjscc_encode_pdu  # noqa: F401
from .blocks.deepjscc_decoder import deepjscc_decoder, deepjscc_decode_pdu  # noqa: F401
from .blocks.image_sink import image_sink  # noqa: F401
from .blocks.pdu_to_stream import pdu_to_stream  # noqa: F401
from .blocks.stream_to_pdu import stream_to_pdu  # noqa: F401
from .blocks.qam_mapper import qam_mapper  # noqa: F401
from .phy.ofdm import OfdmParams, ofdm_rx, ofdm_tx  # noqa: F401
from .link.frame_reassembler import frame_reassembler  # noqa: F401
from .channels.channel_sim import channel_sim  # noqa: F401
from .link.ofdm_link import deepjscc_ofdm_rx, deepjscc_ofdm_tx  # noqa: F401
from .blocks.image_view import image_view  # noqa: F401
