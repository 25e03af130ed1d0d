"""QAM Mapper block: byte PDUs -> Gray QAM symbol PDUs (the mapping of coding.qam)."""
import numpy as np
import pmt
from gnuradio import gr

from .. import meta as M
from ..coding.qam import ORDERS, bytes_to_symbols
from ..pmtio import to_pmt


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
        meta = M.with_entries(meta, **{M.FRAME_TYPE: 1, M.BITS_PER_SYMBOL: self.bps, M.N_BYTES: int(data.size)})
        self.message_port_pub(pmt.intern("out"), pmt.cons(meta, to_pmt(sym)))

    def errors(self):
        return self._errors
