"""Chunk FEC Encoder / Decoder: the digital chain (coding.chain: CRC-32 + LDPC + QAM) on chunk PDUs.

Symbol chunks (analog) pass through both untouched, marked frame_type 0. Byte chunks become QAM
symbol PDUs on the way out and, on the way in, bytes again only when their CRC passes; a chunk
that fails is sent on as an empty byte PDU marked chunk_failed, so the codec decoder knows it
was sent and lost (and never sees corrupted bytes), unless the decoder keeps damaged chunks (for
a codec whose decoder takes any bytes, progressive-vq): then its bytes go on as they were
received, marked chunk_damaged.
"""
import numpy as np

from .. import meta as M
from ..codecs.base import BYTES
from ..coding import chain, mcs as mcs_table
from .pdu_block import pdu_block


class chunk_fec_encoder(pdu_block):
    """Chunk PDUs in ("in") -> symbol PDUs out ("out"). A byte chunk (u8 payload) is framed with
    its length and CRC-32, LDPC-coded and Gray-QAM-mapped with the MCS in its metadata ("mcs",
    e.g. set per chunk by a scheduler) or else this block's; metadata gains frame_type 1,
    bits_per_symbol, fec, mcs, n_bytes. A symbol chunk (c32) passes with frame_type 0."""

    def __init__(self, mcs="qpsk-1/2"):
        pdu_block.__init__(self, "jscc_chunk_fec_encoder", stat_keys=("coded", "passed"))
        self.mcs = mcs_table.parse(mcs)

    def handle(self, port, meta, d, data):
        if np.iscomplexobj(data):
            self.count("passed")
            self.publish(M.with_entries(meta, **{M.FRAME_TYPE: 0, M.BITS_PER_SYMBOL: 0, M.FEC: 0}), data)
            return
        if data.dtype != np.uint8:
            raise TypeError(f"payload of {data.dtype}: expected bytes (u8) or symbols (c32)")
        m = mcs_table.parse(d[M.MCS]) if M.MCS in d else self.mcs
        sym = chain.encode(data.tobytes(), m)
        self.count("coded")
        self.publish(M.with_entries(meta, **{M.FRAME_TYPE: 1, M.BITS_PER_SYMBOL: m.bits_per_symbol, M.FEC: m.fec_id,
                                             M.MCS: m.name, M.N_BYTES: int(data.size),
                                             M.N_SYMBOLS: int(sym.size)}), sym)


class chunk_fec_decoder(pdu_block):
    """Received chunk PDUs in ("in", c32 symbols, zero where lost) -> chunk PDUs out ("out").
    Digital chunks (frame_type 1; the MCS from bits_per_symbol and fec) are soft-demapped with
    the per-symbol reliability "csi" (an f32vector from the OFDM receiver; else 1/noise_var,
    else the SNR from snr_db, as the AWGN channel block tags it),
    LDPC-decoded and CRC-checked: bytes out (u8), or an empty u8 PDU with chunk_failed when the
    CRC fails. Metadata gains ldpc_codewords, ldpc_failed, ldpc_iterations. Analog chunks pass.
    threads: LDPC decoding threads (0: all cores). keep_damaged: a chunk whose CRC fails goes on
    as its hard-decided bytes after the length field, marked chunk_damaged (counted "damaged")."""

    def __init__(self, threads=0, keep_damaged=False):
        pdu_block.__init__(self, "jscc_chunk_fec_decoder",
                           stat_keys=("decoded", "failed", "damaged", "passed", "codewords", "failed_codewords"))
        self.threads = int(threads)
        self.keep_damaged = bool(keep_damaged)

    def handle(self, port, meta, d, data):
        if M.get_int(d, M.FRAME_TYPE, 0, 0, 1) == 0:
            if not np.iscomplexobj(data):
                raise TypeError(f"analog chunk of {data.dtype}: expected c32 symbols")
            self.count("passed")
            self.publish(meta, data)
            return
        if not np.iscomplexobj(data):
            raise TypeError(f"digital chunk of {data.dtype}: expected c32 symbols")
        m = mcs_table.from_header(M.get_int(d, M.BITS_PER_SYMBOL), M.get_int(d, M.FEC))
        payload, info = chain.decode(data, reliability(d, data.size), m, self.threads, self.keep_damaged)
        self.count("codewords", info["codewords"])
        self.count("failed_codewords", info["failed_codewords"])
        entries = {M.LDPC_CODEWORDS: info["codewords"], M.LDPC_FAILED: info["failed_codewords"],
                   M.LDPC_ITERATIONS: round(info["iterations"], 2), M.MCS: m.name, M.KIND: BYTES}
        if payload is None and "damaged" in info:
            self.count("damaged")
            self.publish(M.with_entries(meta, **entries, **{M.CHUNK_DAMAGED: True}),
                         np.frombuffer(info["damaged"], np.uint8))
            return
        if payload is None:
            self.count("failed")
            self.publish(M.with_entries(meta, **entries, **{M.CHUNK_FAILED: True}), np.zeros(0, np.uint8))
            return
        self.count("decoded")
        self.publish(M.with_entries(meta, **entries, **{M.N_BYTES: len(payload)}), np.frombuffer(payload, np.uint8))


def reliability(d, n):
    """Per-symbol |h|^2/noise_var of a received chunk from its metadata (see chunk_fec_decoder)."""
    if M.CSI in d:
        csi = np.asarray(d[M.CSI], np.float32).ravel()
        if csi.size != n:
            raise ValueError(f"csi has {csi.size} values for {n} symbols")
        return csi
    if M.NOISE_VAR in d and M.get_float(d, M.NOISE_VAR) > 0:
        r = 1.0 / M.get_float(d, M.NOISE_VAR)
    elif M.SNR_DB in d:
        r = 10 ** (M.get_float(d, M.SNR_DB) / 10)
    else:
        raise ValueError("no csi, noise_var or snr_db in the metadata: cannot weigh the soft bits")
    return np.float32(r)
