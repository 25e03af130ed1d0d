"""Frame Reassembler: OFDM frame PDUs -> one symbol PDU per image, lost fragments zero-filled."""
import threading
import time

import numpy as np
import pmt
from gnuradio import gr

from .. import meta as M
from ..blocks.image_source import file_names
from ..pmtio import to_pmt

# stats keys
KEYS = ("frames", "images", "complete", "incomplete", "lost_fragments", "duplicates", "inconsistent",
        "timed_out", "bad_frames")


class _Image:
    def __init__(self, d, max_payload):
        self.count = int(d["frag_count"])
        self.max_payload = max_payload
        self.buf = np.zeros(self.count * max_payload, np.complex64)
        self.got = np.zeros(self.count, bool)
        self.last_len = None  # payload length of the final fragment, once seen
        self.first = d
        self.snr = []
        self.updated = time.monotonic()

    def length(self):
        return (self.count - 1) * self.max_payload + (self.last_len if self.last_len is not None else self.max_payload)


class frame_reassembler(gr.basic_block):
    """Frame PDUs on "in" (from the OFDM receiver through stream_to_pdu: metadata image_id,
    frag_idx, frag_count, height, width, snr_db...) -> image symbol PDUs on "out".

    An image is sent when all its fragments are in, when a frame of another image arrives (one
    transmitter sends images in turn), or timeout seconds after its last fragment. Missing
    fragments are zero-filled (the Deep JSCC decoder degrades gracefully) and reported:
    metadata fragments, lost_fragments, snr_db (mean over the frames received); stats() counts
    everything. max_payload: symbols in every fragment but the last (OfdmParams.max_payload).
    names: optional file names by image id (image_id modulo their number), set as "file" so the
    Image Sink finds its reference image; a string is taken as the sender's path spec (file, folder
    or list) and expanded like Image Source does. model_id: if >= 0, frames of another model are
    counted ("inconsistent") and dropped.
    """

    def __init__(self, max_payload=3072, timeout=2.0, names=(), model_id=-1):
        gr.basic_block.__init__(self, name="jscc_frame_reassembler", in_sig=None, out_sig=None)
        if max_payload <= 0:
            raise ValueError("max_payload must be > 0")
        self.max_payload, self.timeout = int(max_payload), float(timeout)
        # a path spec (file, folder, list) stands for its files' names, as Image Source numbers them
        self.names = file_names(names) if isinstance(names, str) else list(names)
        self.model_id = int(model_id)
        self._pending = {}
        self._lock = threading.Lock()
        self._stats = dict.fromkeys(KEYS, 0)
        self._stop = threading.Event()
        self._thread = None
        self.message_port_register_in(pmt.intern("in"))
        self.message_port_register_out(pmt.intern("out"))
        self.set_msg_handler(pmt.intern("in"), self._handle)

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return True

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(1.0)
        self.flush()
        return True

    def _watch(self):
        while not self._stop.wait(min(0.1, self.timeout / 4)):
            now = time.monotonic()
            with self._lock:
                old = [k for k, im in self._pending.items() if now - im.updated > self.timeout]
                for k in old:
                    self._stats["timed_out"] += 1
                    self._send(k)

    def flush(self):
        """Send every incomplete image now."""
        with self._lock:
            for k in list(self._pending):
                self._send(k)

    def _handle(self, msg):
        try:
            meta, sym = M.split_pdu(msg)
            d = M.to_dict(meta)
            key, idx, count = int(d["image_id"]), int(d["frag_idx"]), int(d["frag_count"])
            if not np.iscomplexobj(sym) or not 0 <= idx < count or sym.size > self.max_payload:
                raise ValueError(f"fragment {idx}/{count} of {sym.size} {sym.dtype} symbols")
        except (KeyError, ValueError, TypeError) as e:
            with self._lock:
                self._stats["bad_frames"] += 1
            self.logger.error(f"dropping frame: {e}")
            return
        with self._lock:
            self._stats["frames"] += 1
            if self.model_id >= 0 and int(d.get("model_id", self.model_id)) != self.model_id:
                self._stats["inconsistent"] += 1
                self.logger.warn(f"frame of image {key} is for model id {d.get('model_id')}, "
                                 f"not {self.model_id}: dropped")
                return
            for k in [k for k in self._pending if k != key]:
                self._send(k)  # the transmitter has moved on
            im = self._pending.get(key)
            if im is not None and im.count != count:
                self._stats["inconsistent"] += 1
                self._send(key)
                im = None
            if im is None:
                im = self._pending[key] = _Image(d, self.max_payload)
            if im.got[idx]:
                self._stats["duplicates"] += 1
                return
            if idx < count - 1 and sym.size != self.max_payload:
                self._stats["inconsistent"] += 1
            im.buf[idx * self.max_payload: idx * self.max_payload + sym.size] = sym
            im.got[idx] = True
            if idx == count - 1:
                im.last_len = int(sym.size)
            if "snr_db" in d:
                im.snr.append(float(d["snr_db"]))
            im.updated = time.monotonic()
            if im.got.all():
                self._send(key)

    def _send(self, key):
        """Emit one image (lock held)."""
        im = self._pending.pop(key)
        lost = int(im.count - im.got.sum())
        self._stats["images"] += 1
        self._stats["complete" if lost == 0 else "incomplete"] += 1
        self._stats["lost_fragments"] += lost
        if lost:
            self.logger.warn(f"image {key}: {lost} of {im.count} fragments lost, zero-filled")
        d = im.first
        entries = {M.IMAGE_ID: key, "fragments": im.count, "lost_fragments": lost}
        h, w = int(d.get("height", 0)), int(d.get("width", 0))
        if h > 0 and w > 0:
            entries.update({M.HEIGHT: h, M.WIDTH: w})
        if im.snr:
            entries[M.SNR_DB] = float(np.mean(im.snr))
        if self.names:
            entries[M.FILE] = self.names[key % len(self.names)]
        meta = M.with_entries(pmt.make_dict(), **entries)
        self.message_port_pub(pmt.intern("out"), pmt.cons(meta, to_pmt(im.buf[:im.length()])))

    def stats(self):
        with self._lock:
            return dict(self._stats, pending=len(self._pending))
