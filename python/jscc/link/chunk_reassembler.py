"""Chunk Reassembler: received frame PDUs -> one PDU per (image, chunk), lost fragments zero-filled.

In the spirit of gr-satellites' file receiver: frames carry (image_id, chunk, frag_idx,
frag_count) in their header; the reassembler collects fragments per chunk, decides when a
chunk is as complete as it will get, and reports what was lost. It knows nothing about codecs:
a symbol chunk and a digital chunk's QAM symbols are rebuilt the same way (zero where lost, and
the per-symbol reliability "csi" zero there too, which makes lost soft bits erasures).
"""
import time

import numpy as np
import pmt

from .. import meta as M
from ..blocks.image_source import file_names
from ..blocks.pdu_block import pending_pdu_block

KEYS = ("frames", "chunks", "complete", "incomplete", "lost_fragments", "duplicates", "inconsistent", "timed_out",
        "lost_frames", "seq_resets")


class _Chunk:
    def __init__(self, d, max_payload, count):
        self.count = count
        self.max_payload = max_payload
        self.buf = np.zeros(count * max_payload, np.complex64)
        self.csi = None  # allocated when the first frame brings a csi vector
        self.got = np.zeros(count, bool)
        self.last_len = None  # payload length of the final fragment, once seen
        self.first = d
        self.snr = []
        self.updated = time.monotonic()

    def length(self):
        return (self.count - 1) * self.max_payload + (self.last_len if self.last_len is not None else self.max_payload)


class chunk_reassembler(pending_pdu_block):
    """Frame PDUs on "in" (Stream to PDU after the OFDM Receiver: payload symbols, metadata with
    the header fields, snr_db and, with the receiver's csi output, a csi vector) -> chunk PDUs on
    "out".

    A chunk is sent when all its fragments are in, when a frame of another chunk arrives (one
    transmitter sends chunks in turn), or `timeout` seconds after its last fragment. Missing
    fragments are zero-filled and reported: metadata fragments, lost_fragments, snr_db (mean over
    the frames received); stats() counts everything. max_payload: symbols in every fragment but
    the last (OfdmParams.max_payload). names: file names by image id (image_id modulo their
    number), set as "file" so the Image Sink finds its reference; a string is taken as the
    sender's path spec (file, folder or list) and expanded like Image Source does. model_id: if
    >= 0, frames of another model are counted ("inconsistent") and dropped.

    The header's frame number (seq, 12 bits, wrapping) reveals frames that never arrived, not
    even as a failed header: each gap is counted ("lost_frames"); a jump backwards or by half the
    seq space is a restarted transmitter ("seq_resets"), not a loss.
    """

    def __init__(self, max_payload=3072, timeout=2.0, names=(), model_id=-1):
        pending_pdu_block.__init__(self, "jscc_chunk_reassembler", timeout, stat_keys=KEYS)
        if max_payload <= 0:
            raise ValueError("max_payload must be > 0")
        self.max_payload = int(max_payload)
        # a path spec (file, folder, list) stands for its files' names, as Image Source numbers them
        self.names = file_names(names) if isinstance(names, str) else list(names)
        self.model_id = int(model_id)
        self._last_seq = None

    def expire(self, key):
        self._send(key)

    def handle(self, port, meta, d, sym):
        image = M.get_int(d, M.IMAGE_ID)
        chunk = M.get_int(d, M.CHUNK, 0, 0, M.header_max(M.CHUNK))
        count = M.get_int(d, M.FRAG_COUNT, None, 1, M.header_max(M.FRAG_COUNT))
        idx = M.get_int(d, M.FRAG_IDX, None, 0, count - 1)
        if not np.iscomplexobj(sym) or sym.size > self.max_payload:
            raise ValueError(f"fragment {idx}/{count} of {sym.size} {sym.dtype} symbols")
        csi = d.get(M.CSI)
        if csi is not None and np.size(csi) != sym.size:
            raise ValueError(f"csi of {np.size(csi)} values for {sym.size} symbols")
        snr = M.get_float(d, M.SNR_DB) if M.SNR_DB in d else None
        seq = M.get_int(d, M.SEQ, None, 0, M.header_max(M.SEQ)) if M.SEQ in d else None
        key = (image, chunk)
        with self._lock:
            self.count("frames")
            if seq is not None:
                self._count_seq(seq)
            if self.model_id >= 0 and M.get_int(d, M.MODEL_ID, self.model_id) != self.model_id:
                self.count("inconsistent")
                self.logger.warn(f"frame of image {image} is for model id {d.get(M.MODEL_ID)}, "
                                 f"not {self.model_id}: dropped")
                return
            for k in [k for k in self._pending if k != key]:
                self._expire(k)  # the transmitter has moved on
            c = self._pending.get(key)
            if c is not None and c.count != count:
                self.count("inconsistent")
                self._send(key)
                c = None
            if c is None:
                c = self._pending[key] = _Chunk(d, self.max_payload, count)
            if c.got[idx]:
                self.count("duplicates")
                return
            if idx < count - 1 and sym.size != self.max_payload:
                self.count("inconsistent")
            at = idx * self.max_payload
            c.buf[at:at + sym.size] = sym
            if csi is not None:
                if c.csi is None:
                    c.csi = np.zeros(c.buf.size, np.float32)
                c.csi[at:at + sym.size] = np.asarray(csi, np.float32)
            c.got[idx] = True
            if idx == count - 1:
                c.last_len = int(sym.size)
            if snr is not None:
                c.snr.append(snr)
            c.updated = time.monotonic()
            if c.got.all():
                self._send(key)

    def _count_seq(self, seq):
        span = M.header_max(M.SEQ) + 1
        if self._last_seq is not None and seq != self._last_seq:  # the same frame again is no gap
            gap = (seq - self._last_seq - 1) % span
            if gap >= span // 2:
                self.count("seq_resets")
            elif gap:
                self.count("lost_frames", gap)
        self._last_seq = seq

    def _send(self, key):
        """Emit one chunk (lock held)."""
        c = self._pending.pop(key)
        lost = int(c.count - c.got.sum())
        if c.count > 256 and lost * 16 > c.count * 15:
            # under 1/16 of a large chunk came (or a corrupt header claimed a huge count): do
            # not zero-fill and send up to 200 M symbols of nothing
            self.count("inconsistent")
            self.count("lost_fragments", lost)
            self.logger.warn(f"image {key[0]} chunk {key[1]}: {c.count - lost} of {c.count} fragments: dropped")
            return
        self.count("chunks")
        self.count("complete" if lost == 0 else "incomplete")
        self.count("lost_fragments", lost)
        if lost:
            self.logger.warn(f"image {key[0]} chunk {key[1]}: {lost} of {c.count} fragments lost, zero-filled")
        d = c.first
        # the header fields that describe the chunk, not the fragment
        keep = (M.FRAME_TYPE, M.BITS_PER_SYMBOL, M.FEC, M.MODEL_ID, M.CHUNK_COUNT, M.HEIGHT, M.WIDTH)
        entries = {k: d[k] for k in keep if k in d}
        entries.update({M.IMAGE_ID: key[0], M.CHUNK: key[1], M.FRAGMENTS: c.count, M.LOST_FRAGMENTS: lost})
        if M.HEIGHT in entries and not (entries[M.HEIGHT] > 0 and entries.get(M.WIDTH, 0) > 0):
            entries.pop(M.HEIGHT), entries.pop(M.WIDTH, None)  # 0: the sender did not say
        if c.snr:
            entries[M.SNR_DB] = float(np.mean(c.snr))
        if self.names:
            entries[M.FILE] = self.names[key[0] % len(self.names)]
        n = c.length()
        meta = M.with_entries(pmt.make_dict(), **entries)
        if c.csi is not None:
            meta = M.with_entries(meta, **{M.CSI: M.to_pmt(c.csi[:n])})
        self.publish(meta, c.buf[:n])


frame_reassembler = chunk_reassembler  # the block's name before chunks existed (GRC id jscc_frame_reassembler)
