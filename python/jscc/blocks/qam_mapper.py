"""QAM Mapper block: byte PDUs -> Gray QAM symbol PDUs (the mapping of coding.qam)."""
import numpy as np

from .. import meta as M
from ..coding.qam import ORDERS, bytes_to_symbols
from .pdu_block import pdu_block


class qam_mapper(pdu_block):
    """Byte PDU in ("in") -> complex symbol PDU out ("out"), tagged as a digital frame:
    frame_type 1, bits_per_symbol, n_bytes. Other metadata passes on. Non-byte or empty PDUs are
    logged, counted (errors()) and dropped."""

    def __init__(self, bits_per_symbol=2):
        pdu_block.__init__(self, "jscc_qam_mapper", stat_keys=("mapped",))
        if bits_per_symbol not in ORDERS:
            raise ValueError(f"bits_per_symbol must be one of {ORDERS}, got {bits_per_symbol}")
        self.bps = int(bits_per_symbol)

    def handle(self, port, meta, data_dict, data):
        if data.dtype != np.uint8 or data.size == 0:
            raise ValueError(f"payload of {data.size} {data.dtype} items; expected bytes")
        sym, _ = bytes_to_symbols(data.tobytes(), self.bps)
        self.count("mapped")
        self.publish(M.with_entries(meta, **{M.FRAME_TYPE: 1, M.BITS_PER_SYMBOL: self.bps, M.N_BYTES: int(data.size)}),
                     sym)
