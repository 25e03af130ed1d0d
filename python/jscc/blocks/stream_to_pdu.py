"""Stream to PDU: a tagged stream -> PDUs, tolerant of damaged framing."""
import numpy as np
import pmt
from gnuradio import gr

from .. import meta as M


class stream_to_pdu(gr.sync_block):
    """Complex stream with len_tag_key packets -> PDUs on "pdus" (metadata: the tags on the
    packet's first item). Packets may be any length up to max_len; they are assembled across
    work calls, so no buffer has to hold a whole packet.

    Damage is counted (stats()), logged and never stalls the flowgraph:
    - a packet cut short by the next length tag is sent as it is, marked "truncated";
    - samples outside any packet are discarded and counted ("stray_samples");
    - a length tag <= 0 or above max_len is ignored ("bad_length") and its samples become stray.

    csi: a second (float) input, the OFDM receiver's per-symbol reliability |h|^2/noise_var,
    is collected alongside and attached to each PDU as a "csi" f32vector (what a soft demapper
    of digital chunks needs).
    """

    def __init__(self, len_tag_key=M.LEN_TAG, max_len=1 << 24, csi=False):
        gr.sync_block.__init__(self, name="jscc_stream_to_pdu",
                               in_sig=[np.complex64, np.float32] if csi else [np.complex64], out_sig=None)
        self.len_key, self.max_len = pmt.intern(len_tag_key), int(max_len)
        self.with_csi = bool(csi)
        self._buf, self._fill, self._meta, self._csi = None, 0, None, None
        self._stats = dict(packets=0, truncated=0, stray_samples=0, bad_length=0)
        self.message_port_register_out(pmt.intern("pdus"))

    def _emit(self, truncated):
        meta = self._meta
        if truncated:
            self._stats["truncated"] += 1
            self.logger.warn(f"packet cut short: {self._fill} of {self._buf.size} samples")
            meta = M.with_entries(meta, **{M.TRUNCATED: True})
        self._stats["packets"] += 1
        if self.with_csi:
            meta = M.with_entries(meta, **{M.CSI: M.to_pmt(self._csi[:self._fill])})
        self.message_port_pub(pmt.intern("pdus"), pmt.cons(meta, M.to_pmt(self._buf[:self._fill])))
        self._buf, self._fill, self._meta, self._csi = None, 0, None, None

    def _open(self, length, tags):
        meta = pmt.make_dict()
        for t in tags:
            if not pmt.eq(t.key, self.len_key):
                meta = pmt.dict_add(meta, t.key, t.value)
        self._buf, self._fill, self._meta = np.empty(length, np.complex64), 0, meta
        self._csi = np.empty(length, np.float32) if self.with_csi else None

    def work(self, input_items, output_items):
        x = input_items[0]
        n, base = len(x), self.nitems_read(0)
        tags = self.get_tags_in_window(0, 0, n)
        starts = {}
        for t in tags:
            starts.setdefault(t.offset - base, []).append(t)
        pos = 0
        for off in sorted(starts) + [n]:
            # samples [pos, off) belong to the open packet, if any
            if pos < off:
                if self._buf is None:
                    self._stats["stray_samples"] += off - pos
                else:
                    take = min(off - pos, self._buf.size - self._fill)
                    self._buf[self._fill:self._fill + take] = x[pos:pos + take]
                    if self.with_csi:
                        self._csi[self._fill:self._fill + take] = input_items[1][pos:pos + take]
                    self._fill += take
                    self._stats["stray_samples"] += off - pos - take
                    if self._fill == self._buf.size:
                        self._emit(False)
                pos = off
            if off == n:
                break
            at = starts[off]
            lens = [t for t in at if pmt.eq(t.key, self.len_key)]
            if not lens:
                continue
            if self._buf is not None:
                self._emit(True)
            length = pmt.to_long(lens[0].value) if pmt.is_integer(lens[0].value) else -1
            if not 0 < length <= self.max_len:
                self._stats["bad_length"] += 1
                self.logger.error(f"ignoring packet with length tag {pmt.write_string(lens[0].value)}")
                continue
            self._open(length, at)
        return n

    def stats(self):
        return dict(self._stats, incomplete=int(self._buf is not None))
