"""Gray-coded square QAM, the mapping soft_demapper_cf inverts (docs/ofdm_frame.md).

Per dimension m bits (MSB first) select PAM level i whose Gray code i ^ (i >> 1) equals them;
level i sits at (M - 1 - 2 i) * norm, so all-zero bits are the most positive level. BPSK puts
its bit on I only (0 -> +1). QAM takes the first half of a symbol's bits for I, the rest for Q.
"""
import numpy as np
import pmt
from gnuradio import gr

from . import meta as M
from .pmtio import to_pmt

ORDERS = (1, 2, 4, 6)


def _levels(m):
    M_ = 1 << m
    amp = np.empty(M_, np.float32)
    for i in range(M_):
        amp[i ^ (i >> 1)] = M_ - 1 - 2 * i
    return amp


def qam_map(bits, bps):
    """bits (0/1 array, length a multiple of bps) -> unit-power complex symbols."""
    if bps not in ORDERS:
        raise ValueError(f"bits_per_symbol must be one of {ORDERS}, got {bps}")
    bits = np.asarray(bits, np.uint8).reshape(-1, bps)
    if bps == 1:
        return (1.0 - 2.0 * bits[:, 0]).astype(np.complex64)
    m = bps // 2
    w = 1 << np.arange(m - 1, -1, -1)
    amp = _levels(m) * np.sqrt(3.0 / (2.0 * ((1 << m) ** 2 - 1)))
    i = amp[bits[:, :m] @ w]
    q = amp[bits[:, m:] @ w]
    return (i + 1j * q).astype(np.complex64)


def bytes_to_symbols(data, bps):
    """Bytes -> symbols, the last symbol zero-padded; returns (symbols, n_bits)."""
    bits = np.unpackbits(np.frombuffer(bytes(data), np.uint8))
    pad = (-bits.size) % bps
    return qam_map(np.concatenate([bits, np.zeros(pad, np.uint8)]), bps), bits.size


class qam_mapper(gr.basic_block):
    """Byte PDU in ("in") -> complex symbol PDU out ("out"), tagged as a digital frame:
    frame_type 1, bits_per_symbol, n_bytes. Other metadata passes on. Non-byte or empty PDUs are
    logged, counted (errors()) and dropped."""

    def __init__(self, bits_per_symbol=2):
        gr.basic_block.__init__(self, name="jscc_qam_mapper", in_sig=None, out_sig=None)
        if bits_per_symbol not in ORDERS:
            raise ValueError(f"bits_per_symbol must be one of {ORDERS}, got {bits_per_symbol}")
        self.bps = int(bits_per_symbol)
        self._errors = 0
        self.message_port_register_in(pmt.intern("in"))
        self.message_port_register_out(pmt.intern("out"))
        self.set_msg_handler(pmt.intern("in"), self._handle)

    def _handle(self, msg):
        try:
            meta, data = M.split_pdu(msg)
            if data.dtype != np.uint8 or data.size == 0:
                raise ValueError(f"payload of {data.size} {data.dtype} items; expected bytes")
        except (ValueError, TypeError) as e:
            self._errors += 1
            self.logger.error(f"dropping message ({self._errors} dropped): {e}")
            return
        sym, _ = bytes_to_symbols(data.tobytes(), self.bps)
        meta = M.with_entries(meta, frame_type=1, bits_per_symbol=self.bps, n_bytes=int(data.size))
        self.message_port_pub(pmt.intern("out"), pmt.cons(meta, to_pmt(sym)))

    def errors(self):
        return self._errors
