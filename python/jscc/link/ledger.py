"""What a transmitter owes the channel, image by image: completion is counted, never guessed.

The transmit chains (codec_encoder, codec_ofdm_tx) end in PDU to Stream; for every packet it
accepts, the ledger records what the packet will occupy on the stream after the last block (its
samples: the symbols themselves on the direct path, whole OFDM frames with their gaps and the
first frame's lead-in on the OFDM path, from the modulator's own frame_len()). Each image's last
sample is then a known stream offset: the image has been transmitted once the block after the
transmitter has read past it, and the whole job is done when the stream is read to the end of
what the ledger holds.
"""
import collections
import threading

from .. import meta as M

# header fields the modulator takes from a packet's tags (the rest it sets per frame itself)
_TAG_FIELDS = tuple(k for k in M.HEADER_FIELDS if k not in (M.FRAG_IDX, M.FRAG_COUNT, "payload_len", M.SEQ))


class _Image:
    __slots__ = ("image_id", "chunks", "queued", "end", "frames")

    def __init__(self, image_id, chunks):
        self.image_id, self.chunks, self.queued, self.end, self.frames = image_id, chunks, 0, 0, 0


class tx_ledger:
    """cost(n_items, meta) -> (frames, samples) a packet of n_items will take (samples 0: the
    modulator will refuse it). Images are kept in stream order until sent (memory is bounded by
    the transmitter's window)."""

    def __init__(self, cost):
        self._cost = cost
        self._lock = threading.Lock()
        self._open = collections.deque()  # images not yet wholly on the stream, in order
        self.samples = 0    # stream samples owed for everything accepted so far
        self.frames = 0     # frames owed (OFDM)
        self.packets = 0
        self.refused = 0    # packets the next block will refuse (nothing of them on the air)
        self._sent = 0      # images whose every chunk was queued and whose last sample was read
        self._sent_frames = 0

    def on_packet(self, d, n):
        """PDU to Stream's hook: one packet of n items accepted, in stream order."""
        frames, samples = self._cost(n, d)
        image_id = d.get(M.IMAGE_ID)
        try:
            chunks = M.get_int(d, M.CHUNK_COUNT, 1, 1)
        except ValueError:
            chunks = 1
        with self._lock:
            self.packets += 1
            self.refused += samples == 0
            self.frames += frames
            self.samples += samples
            im = self._open[-1] if self._open and self._open[-1].image_id == image_id else None
            if im is None or im.queued >= im.chunks:
                im = _Image(image_id, chunks)
                self._open.append(im)
            im.queued += 1
            im.frames += frames
            im.end = self.samples

    def advance(self, taken):
        """The block after the transmitter has read `taken` samples: images wholly before that
        point are sent. Returns the count of images sent so far."""
        with self._lock:
            while self._open and self._open[0].queued >= self._open[0].chunks and self._open[0].end <= taken:
                self._sent_frames += self._open.popleft().frames
                self._sent += 1
            return self._sent

    def sent_frames(self):
        with self._lock:
            return self._sent_frames

    def sent(self):
        with self._lock:
            return self._sent

    def open_images(self):
        """Images with packets on the way (not all of them read by the next block yet)."""
        with self._lock:
            return len(self._open)


def packet_fits(d):
    """Whether the OFDM modulator will take a packet with this metadata: every header field
    it reads from the tags must be an integer that fits its field (ofdm_mod_cc drops the
    packet whole otherwise, and counts it as rejected)."""
    for k in _TAG_FIELDS:
        if k in d:
            v = d[k]
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= M.header_max(k):
                return False
    return True


class tx_progress:
    """What a transmit chain (encoder -> chunk FEC -> PDU to Stream -> last stream block) has done
    with the images given to it, from counts kept by every stage: nothing is inferred from idle
    time. Mixed into codec_encoder and codec_ofdm_tx (self.encode, self.fec, self.to_stream,
    self.ledger, self._last: the block whose output leaves the hier; self.scheduler if any)."""

    def _link_ledger(self, cost):
        self.ledger = tx_ledger(cost)
        self.to_stream.on_packet = self.ledger.on_packet

    def progress(self, given, taken=None):
        """given: images handed to the transmitter (Image Source's sent()); taken: samples the
        block after the transmitter has read (default: what the last block has written). ->
        dict: given, refused (dropped by the encoder, counted there), sent (every sample read by
        the next block), pending, frames / samples owed and out, done (everything given was
        refused or sent)."""
        enc, fec, p2s = self.encode.stats(), self.fec.stats(), self.to_stream.stats()
        out = self._last.nitems_written(0)
        taken = out if taken is None else taken
        sent = self.ledger.advance(min(taken, out))
        refused = self.encode.errors()
        sched = getattr(self, "scheduler", None)
        if sched is None:
            into_fec, sched_idle = enc["chunks"], True
        else:  # the Slot Scheduler between encoder and FEC: what it released, once it holds nothing
            st = sched.stats()
            into_fec, sched_idle = st["chunks"], st["chunks_in"] >= enc["chunks"] and sched.held() == 0
        chain_idle = (enc["received"] >= given and sched_idle and fec["received"] >= into_fec
                      and p2s["received"] >= fec["coded"] + fec["passed"] and self.to_stream.pending() == 0
                      and self._last_input_read() >= self.to_stream.nitems_written(0))
        done = chain_idle and out >= self.ledger.samples and taken >= out
        lost_in_chain = fec["dropped"] + fec["errors"] + p2s["dropped"] + p2s["errors"] + self.ledger.refused
        return dict(given=given, refused=refused, sent=sent, pending=given - refused - sent,
                    frames=self._frames_out(), frames_sent=self.ledger.sent_frames(), frames_owed=self.ledger.frames,
                    samples_owed=self.ledger.samples,
                    samples_out=out, samples_taken=taken, chunks_lost=lost_in_chain, done=done)

    def in_flight(self, given):
        """Images given and not yet wholly out of the transmitter (its back-pressure count)."""
        sent = self.ledger.advance(self._last.nitems_written(0))
        return given - self.encode.errors() - sent

    def _frames_out(self):
        return self.ledger.frames
