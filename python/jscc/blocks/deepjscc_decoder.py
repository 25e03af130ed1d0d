"""Deep JSCC Decoder: received complex symbols -> image PDUs."""
import numpy as np
import pmt
from gnuradio import gr

from .. import meta as M
from ..codecs.deepjscc import DeepJSCC, fit_length
from .stream_to_pdu import stream_to_pdu


class deepjscc_decode_pdu(gr.basic_block):
    """Symbol PDU in ("in") -> image PDU out ("out").

    The image size comes from the height/width metadata, else from the block's
    height/width parameters. Damaged packets still give an image: missing symbols
    are zero-filled, surplus ones dropped, NaN/inf zeroed; each is logged, counted
    (stats()) and recorded in the output metadata (missing, extra, nonfinite).
    A packet with no known image size cannot be decoded: logged, counted, dropped.
    """

    def __init__(self, model="deepjscc-kn6-awgn-10db", height=0, width=0, threads=0):
        gr.basic_block.__init__(self, name="jscc_deepjscc_decode_pdu", in_sig=None, out_sig=None)
        self.codec = DeepJSCC(model, threads, parts=("decoder",))
        self.height, self.width = int(height), int(width)
        self._stats = dict(decoded=0, damaged=0, short=0, long=0, nonfinite=0, dropped=0)
        self.message_port_register_in(pmt.intern("in"))
        self.message_port_register_out(pmt.intern("out"))
        self.set_msg_handler(pmt.intern("in"), self._handle)

    def _drop(self, why):
        self._stats["dropped"] += 1
        self.logger.error(f"dropping packet ({self._stats['dropped']} dropped so far): {why}")

    def _handle(self, msg):
        try:
            meta, sym = M.split_pdu(msg)
        except (ValueError, TypeError) as e:
            return self._drop(e)
        d = M.to_dict(meta)
        h, w = int(d.get(M.HEIGHT, self.height)), int(d.get(M.WIDTH, self.width))
        if h <= 0 or w <= 0:
            return self._drop("no image size in the metadata and none set on the block")
        if not np.iscomplexobj(sym):
            return self._drop(f"payload is {sym.dtype}, expected complex symbols")
        n = self.codec.n_symbols(h, w)
        sym, missing, extra, nonfinite = fit_length(sym, n)
        if missing or extra or nonfinite:
            self._stats["damaged"] += 1
            self._stats["short"] += bool(missing)
            self._stats["long"] += bool(extra)
            self._stats["nonfinite"] += bool(nonfinite)
            self.logger.warn(f"image {d.get(M.IMAGE_ID, '?')}: packet of {n - missing + extra} symbols for {n} "
                             f"expected ({missing} zero-filled, {extra} dropped, {nonfinite} non-finite zeroed)")
        img = self.codec.decode(sym, h, w)
        meta = M.with_entries(meta, **{M.MISSING: missing, M.EXTRA: extra, M.NONFINITE: nonfinite})
        self._stats["decoded"] += 1
        self.message_port_pub(pmt.intern("out"), M.image_pdu(img, meta))

    def stats(self):
        return dict(self._stats)


class deepjscc_decoder(gr.hier_block2):
    """Tagged stream of received symbols in (one packet_len packet per image), image PDUs out."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", height=0, width=0, threads=0, len_tag_key=M.LEN_TAG):
        gr.hier_block2.__init__(self, "jscc_deepjscc_decoder", gr.io_signature(1, 1, gr.sizeof_gr_complex),
                                gr.io_signature(0, 0, 0))
        self.message_port_register_hier_out("out")
        self.to_pdu = stream_to_pdu(len_tag_key)
        self.decode = deepjscc_decode_pdu(model, height, width, threads)
        self.connect(self, self.to_pdu)
        self.msg_connect(self.to_pdu, "pdus", self.decode, "in")
        self.msg_connect(self.decode, "out", self, "out")

    def stats(self):
        """Decoder counts plus the framing counts of the stream side."""
        return dict(self.decode.stats(), **{"framing_" + k: v for k, v in self.to_pdu.stats().items()})
