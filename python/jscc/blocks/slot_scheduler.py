"""Slot Scheduler: chunk PDUs of whole images in, the same chunks out slot by slot, each with the
MCS the latest CSI allows (link/scheduler.py's schedule(): the function the slot simulator uses).

And CSI Tap: frame PDUs from the OFDM receiver pass through; each frame's SNR estimate goes out
as a CSI message for the scheduler (in one flowgraph, or over ZMQ from the receiving process).
"""
import threading
import time

import pmt

from .. import meta as M
from ..coding import chain, fer, mcs as mcs_table
from ..link.scheduler import Job, Policy, schedule
from .pdu_block import pdu_block


class slot_scheduler(pdu_block):
    """Chunk PDUs on "in" (Codec Encode (PDU): every chunk of an image, chunk_count in the
    metadata) -> chunk PDUs on "out", metadata "mcs" set, in slot order; CSI messages on "csi"
    (a dict with snr_db, as CSI Tap sends them).

    A slot is slot_symbols channel uses. Per slot the block runs the scheduler: images in order,
    as many chunks as the policy plans ("all", "groups:K", "target:Q", "deadline:D"), each chunk
    starting with the fastest MCS whose measured codeword error rate at the CSI's SNR minus
    margin_db is <= 1 % (coding/fer.py); a chunk is released when its first symbol is scheduled.
    The next slot begins when the transmitter has taken this slot's symbols: progress() (set by
    the Codec OFDM Transmitter: symbols its PDU to Stream has emitted) within half a slot of the
    symbols scheduled so far, or, standing alone, after slot_s seconds of wall-clock time. A slot
    the queue leaves part-empty counts only what it sent (the pacing once counted whole slots, so a
    slow encoder that let the queue drain left a deficit the transmitter never made up: a hang);
    if progress() stands still for stall_s seconds (a chunk the link dropped), the slot ends anyway
    and "stalls" counts it. With mcs set (not "adaptive") every chunk gets that MCS. Until the
    first CSI arrives the scheduler assumes initial_snr_db.
    """

    def __init__(self, policy="all", slot_symbols=12288, margin_db=1.0, mcs="adaptive", initial_snr_db=10.0,
                 slot_s=0.025, stall_s=2.0):
        pdu_block.__init__(self, "jscc_slot_scheduler", in_ports=("in", "csi"), out_ports=("out",),
                           stat_keys=("images", "chunks_in", "chunks", "slots", "csi", "stalls"))
        self.policy = Policy.parse(policy)
        if slot_symbols <= 0 or slot_s <= 0 or stall_s <= 0:
            raise ValueError("slot_symbols, slot_s and stall_s must be > 0")
        self.slot_symbols, self.margin_db, self.slot_s = int(slot_symbols), float(margin_db), float(slot_s)
        self.stall_s = float(stall_s)
        self._units = 0       # channel uses scheduled so far (what progress() must catch up with)
        self._slots_busy = 0  # slots since the queue last ran empty (the wall-clock pacing's origin)
        self.fixed = None if mcs == "adaptive" else mcs_table.parse(mcs)
        self.csi_db = float(initial_snr_db)
        self.progress = None  # callable: channel uses the transmitter has taken so far
        self._images = {}     # image_id -> {chunk: (meta, data)} while its chunks come in
        self._queue = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self.slot = 0
        self.log = []         # (slot, image_id, chunk, mcs) of every chunk released

    raw_ports = ("csi",)

    def handle_message(self, port, msg):
        d = M.to_dict(msg) if pmt.is_dict(msg) else M.to_dict(pmt.car(msg)) if pmt.is_pair(msg) else {}
        snr = d.get(M.SNR_DB)
        if not isinstance(snr, (int, float)) or snr != snr:
            raise ValueError(f"CSI message without a finite snr_db: {pmt.write_string(msg)[:80]}")
        with self._lock:
            self.csi_db = float(snr)
        self.count("csi")

    def handle(self, port, meta, d, data):
        self.count("chunks_in")  # first: the transmitter's progress() compares it with the encoder's chunks
        key = M.get_int(d, M.IMAGE_ID, 0)
        n = M.get_int(d, M.CHUNK_COUNT, 1, 1)
        idx = M.get_int(d, M.CHUNK, 0, 0, n - 1)
        with self._lock:
            parts = self._images.setdefault(key, {})
            parts[idx] = (meta, data)
            if len(parts) == n:  # the whole image is here: it joins the queue
                del self._images[key]
                chunks = [parts[i] for i in range(n)]
                self._queue.append(Job(key, [_size(c[1]) for c in chunks], _qualities(chunks), meta=None))
                self._queue[-1].chunks = chunks
                self.count("images")
        self._wake.set()

    # --- the slot loop
    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True, name="jscc_slot_scheduler")
        self._thread.start()
        return True

    def stop(self):
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(2.0)
        return True

    def _cost(self, size):
        if isinstance(size, _Symbols):  # an analog chunk is its symbols on the air, at no MCS
            return int(size), None
        m = self.fixed or fer.best(self.csi_db, 1e-2, self.margin_db) or mcs_table.parse("bpsk-1/3")
        return chain.n_symbols(size, m), m.name

    def _run(self):
        t0 = time.monotonic()
        while not self._stop.is_set():
            try:
                with self._lock:
                    busy = bool(self._queue)
                    if busy:
                        out, _ = schedule(self._queue, self.slot_symbols, self.slot, self.policy, self._cost,
                                          self.slot_symbols)
                        for job, chunk, first, units in out:
                            self._units += units
                            if first == 0:  # the chunk starts in this slot: it goes to the link now
                                meta, data = job.chunks[chunk]
                                self.log.append((self.slot, job.key, chunk, job.meta[chunk]))
                                entries = {M.CHUNK_COUNT: job.plan, "slot": self.slot}
                                if job.meta[chunk] is not None:
                                    entries[M.MCS] = job.meta[chunk]
                                meta = M.with_entries(meta, **entries)
                                self.publish(meta, data)
                                self.count("chunks")
                if not busy:
                    self._wake.wait(0.05)
                    self._wake.clear()
                    t0, self._slots_busy = time.monotonic(), 0
                    continue
                self.slot += 1
                self._slots_busy += 1
                self.count("slots")
                self._wait_slot_end(t0)
            except Exception as e:  # the loop must outlive one bad image
                self.count("errors")
                self.logger.error(f"slot {self.slot}: {type(e).__name__}: {e}")
                self._stop.wait(0.05)

    def _wait_slot_end(self, t0):
        """Until the transmitter has taken what the slots so far scheduled, but half a slot (or the
        slots' wall-clock time has passed since the queue last ran empty)."""
        last, since = None, time.monotonic()
        while not self._stop.is_set():
            if self.progress is not None:
                done = self.progress()
                if done >= self._units - self.slot_symbols // 2:
                    return
                now = time.monotonic()
                if done != last:
                    last, since = done, now
                elif now - since >= self.stall_s:
                    self.count("stalls")
                    self.logger.warning(f"slot {self.slot}: the transmitter took {done} of {self._units} "
                                        f"scheduled channel uses and no more for {self.stall_s:g} s; going on")
                    self._units = done
                    return
            elif time.monotonic() - t0 >= self._slots_busy * self.slot_s:
                return
            self._stop.wait(0.002)

    def pending(self):
        with self._lock:
            return len(self._queue) + len(self._images)

    def held(self):
        """Chunks here that will still be released (of partial images, and the planned chunks of
        queued images not yet started): 0 once everything this block will send is out, while
        pending() still counts an image until its last slot has passed."""
        with self._lock:
            n = sum(len(parts) for parts in self._images.values())
            for job in self._queue:  # a chunk is released when it starts (len(job.costs))
                n += (job.plan if job.start is not None else len(job.sizes)) - len(job.costs or ())
            return n


class _Symbols(int):
    """The size of an analog chunk: channel uses, not bytes to be coded."""


def _size(data):
    return _Symbols(data.size) if data.dtype.kind == "c" else int(data.size)


def _qualities(chunks):
    """PSNR after each prefix where the encoder measured it (chunk metadata "psnr_db"), for the
    target policy; None when it did not."""
    q = [M.to_dict(meta).get(M.PSNR_DB) for meta, _ in chunks]
    return q if all(isinstance(v, (int, float)) for v in q) else None


class csi_tap(pdu_block):
    """Frame PDUs in ("in", from Stream to PDU after the OFDM Receiver) pass to "out" unchanged;
    each frame's snr_db goes out on "csi" as a dict {snr_db, image_id, seq}: the channel state
    the Slot Scheduler needs (connect it directly, or over a ZMQ PUB/SUB message pair)."""

    def __init__(self):
        pdu_block.__init__(self, "jscc_csi_tap", out_ports=("out", "csi"), stat_keys=("frames", "csi"))

    def handle(self, port, meta, d, data):
        self.count("frames")
        self.publish(meta, data, "out")
        if M.SNR_DB in d:
            csi = M.with_entries(pmt.make_dict(), **{M.SNR_DB: float(d[M.SNR_DB]),
                                                     M.IMAGE_ID: int(d.get(M.IMAGE_ID, -1)),
                                                     M.SEQ: int(d.get(M.SEQ, -1))})
            self.message_port_pub(pmt.intern("csi"), csi)
            self.count("csi")
