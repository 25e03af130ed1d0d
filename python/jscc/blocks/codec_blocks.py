"""Codec Encoder / Decoder: any registered codec (codecs.registry) between image PDUs and chunk
PDUs, with tagged-stream faces for links that carry symbols directly.

Chunk PDU: payload c32 (symbol chunk) or u8 (byte chunk); metadata: the image's entries
(image_id, height, width, file, ...) plus codec, model, model_id, kind, chunk, chunk_count and
n_symbols / n_bytes (docs/conventions.md).
"""
import collections
import time

import numpy as np
import pmt
from gnuradio import gr

from .. import meta as M
from ..codecs import registry
from ..codecs.base import BYTES, SYMBOLS, Chunk, snr_value
from ..coding import chain, mcs as mcs_table
from ..imageio import MAX_PIXELS
from .chunk_fec import chunk_fec_decoder, chunk_fec_encoder
from .pdu_block import pdu_block, pending_pdu_block
from .pdu_to_stream import pdu_to_stream
from .stream_to_pdu import stream_to_pdu
from ..link.ledger import tx_progress

STREAM_BUFFER = 1 << 15  # items: fewer Python work() calls per image (~200k symbols), measured +15 % images/s
DONE_WINDOW = 1024  # image ids remembered as decoded: a re-delivered one is never re-opened


class codec_encode_pdu(pdu_block):
    """Image PDU in ("in") -> one chunk PDU per chunk out ("out"), in send order.

    kn > 0 sets a byte codec's budget: the payload that `mcs` carries in the image's channel
    uses at k/n = 1/kn (the paper's rate control; 0: the codec's default quality). Symbol codecs
    ignore both. snr_db: the transmitter's CSI, the SNR an SNR-adaptive codec encodes for (others
    ignore it); set_snr_db() or a message on "snr" (a number, or a dict with snr_db) changes it
    while running. Images larger than the frame header can describe (65535 pixels a side), images
    whose chunks do not fit, images for an SNR-adaptive codec while no SNR is set ("no_snr") and
    messages that are not image PDUs are logged, counted and dropped.
    """

    raw_ports = ("snr",)

    def __init__(self, model="deepjscc-kn6-awgn-10db", kn=0, mcs="qpsk-1/2", threads=0, engine="auto", snr_db=None):
        pdu_block.__init__(self, "jscc_codec_encode_pdu", in_ports=("in", "snr"),
                           stat_keys=("encoded", "chunks", "nothing_fits", "too_large", "no_snr"))
        self.codec = registry.load(model, threads=threads, parts=("encoder",), engine=engine)
        self.kn, self.mcs = int(kn), mcs
        if self.kn < 0:
            raise ValueError(f"kn must be >= 0, got {kn}")
        if self.kn and self.codec.kind == BYTES:
            chain.capacity(1, mcs)  # a clear error now for an MCS that does not exist
        self.snr_db = None
        if snr_db is not None:
            self.set_snr_db(snr_db)

    def set_snr_db(self, snr_db):
        """The SNR (dB) the transmitter assumes from now on (None: none known)."""
        self.snr_db = None if snr_db is None else snr_value(snr_db, f"{self.codec.name} encoder")

    def handle_message(self, port, msg):  # "snr": a number, or a dict / PDU metadata with snr_db
        if pmt.is_number(msg):
            return self.set_snr_db(pmt.to_double(msg))
        # a PDU is (dict . uniform vector); a pmt dict is itself a list of pairs, so test the cdr
        is_pdu = pmt.is_pair(msg) and pmt.is_uniform_vector(pmt.cdr(msg))
        d = M.to_dict(pmt.car(msg) if is_pdu else msg)
        if M.SNR_DB not in d:
            raise ValueError("an snr message is a number or a dict with snr_db")
        self.set_snr_db(d[M.SNR_DB])

    def handle(self, port, meta, d, data):
        _, d, img = M.pdu_image(pmt.cons(meta, M.to_pmt(data)))
        h, w = img.shape[:2]
        if h > M.header_max(M.HEIGHT) or w > M.header_max(M.WIDTH):
            self.count("too_large")
            self.logger.error(f"image {d.get(M.IMAGE_ID, '?')} ({w}x{h}): sides above {M.header_max(M.WIDTH)} "
                              "pixels cannot be described in the frame header; not sent")
            return
        if self.codec.snr_input and self.snr_db is None:
            self.count("no_snr")
            self.logger.error(f"image {d.get(M.IMAGE_ID, '?')}: {self.codec.name} encodes for an SNR and none is "
                              "set (snr_db parameter, set_snr_db or the snr port); not sent")
            return
        budget = None
        if self.kn and self.codec.kind == BYTES:
            budget = chain.capacity(chain.channel_uses(h, w, self.kn), self.mcs)
        chunks = self.codec.encode(img, budget, snr_db=self.snr_db) if budget is None or budget > 0 else []
        if not chunks:
            self.count("nothing_fits")
            self.logger.warn(f"image {d.get(M.IMAGE_ID, '?')}: no {self.codec.name} bitstream fits {budget} bytes; "
                             "nothing sent (the receiver shows it as lost)")
            return
        if len(chunks) > M.header_max(M.CHUNK_COUNT):
            raise ValueError(f"{len(chunks)} chunks exceed the header's {M.header_max(M.CHUNK_COUNT)}")
        base = M.with_entries(meta, **{M.CODEC: self.codec.codec, M.MODEL: self.codec.name,
                                       M.MODEL_ID: self.codec.model_id, M.CHUNK_COUNT: len(chunks)})
        for c in chunks:
            entries = {M.CHUNK: c.index, M.KIND: c.kind,
                       (M.N_SYMBOLS if c.kind == SYMBOLS else M.N_BYTES): int(c.data.size)}
            if c.kind == BYTES:
                entries[M.MCS] = mcs_table.parse(self.mcs).name
            entries.update({k: v for k, v in c.meta.items() if isinstance(v, (int, float, str, bool))})
            self.publish(M.with_entries(base, **entries), c.data)
            self.count("chunks")
        self.count("encoded")

    def encoded(self):
        return self.stat("encoded")

    def errors(self):
        """Messages not sent: bad input, nothing fits, too large, no SNR for an SNR-adaptive codec."""
        st = self.stats()
        return st["dropped"] + st["errors"] + st["nothing_fits"] + st["too_large"] + st["no_snr"]


class _Image:
    def __init__(self, d, height, width):
        self.first = d
        self.count = M.get_int(d, M.CHUNK_COUNT, 1, 1, M.header_max(M.CHUNK_COUNT))
        # checked when the image opens, so giving it up later (timeout, flush) cannot fail on it
        self.height = M.get_int(d, M.HEIGHT, height, 0, M.header_max(M.HEIGHT))
        self.width = M.get_int(d, M.WIDTH, width, 0, M.header_max(M.WIDTH))
        self.chunks = {}
        self.snr, self.lost_fragments, self.damaged = [], 0, 0
        self.last = {}
        self.updated = time.monotonic()


class codec_decode_pdu(pending_pdu_block):
    """Chunk PDUs in ("in") -> image PDUs out ("out").

    Chunks are gathered by image_id; an image is decoded when its chunk_count chunks are in (at
    once for one-chunk codecs), when a chunk of another image arrives (a transmitter sends images
    in turn), or `timeout` seconds after its last chunk. A byte chunk marked chunk_failed counts
    as lost; a damaged symbol chunk is zero-filled / cut to length by the codec. The image size
    comes from the metadata, else the block's height/width. Output metadata: the first chunk's
    entries plus chunks, chunks_received, chunks_failed, chunks_damaged (CRC failed, bytes decoded
    as they came: Chunk FEC Decoder with keep_damaged), decode_failed, missing, extra, nonfinite,
    lost_fragments, snr_db (mean). Chunks of another model (model or model_id entry) are counted
    ("inconsistent") and dropped. flush() decodes everything pending now (receivers call it
    before they stop, so no partial image is lost). refine: also decode an image after each chunk
    that does not complete it, and publish that refinement on "refine" (metadata "refinement":
    chunks so far), for a view that watches a progressive image sharpen chunk by chunk.

    An SNR-adaptive codec decodes for the receiver's SNR estimate: the mean snr_db of the image's
    chunks (the OFDM receiver's per-frame estimate, the AWGN block's tag); the block's snr_db is
    the fallback for chunks without one (None: such an image is dropped and counted, "no_snr").

    An image id already decoded (the last DONE_WINDOW of them) is never re-opened: its chunks are
    counted ("redelivered") and dropped, so a channel restart cannot deliver a second, emptier
    copy. Image ids skipped between two images that did arrive are counted ("missing_images":
    images of which not one frame got through).
    """

    def __init__(self, model="deepjscc-kn6-awgn-10db", height=0, width=0, threads=0, timeout=2.0, engine="auto",
                 refine=False, snr_db=None):
        pending_pdu_block.__init__(self, "jscc_codec_decode_pdu", timeout, out_ports=("out", "refine"),
                                   stat_keys=("decoded", "damaged", "short", "long", "nonfinite", "chunks",
                                              "chunks_failed", "chunks_damaged", "decode_failed", "inconsistent",
                                              "refinements", "no_snr", "redelivered", "missing_images"))
        self.codec = registry.load(model, threads=threads, parts=("decoder",), engine=engine)
        self.height, self.width = int(height), int(width)
        self.refine = bool(refine)
        self.snr_db = None if snr_db is None else snr_value(snr_db, f"{self.codec.name} decoder")
        self._done = collections.OrderedDict()
        self._last_id = None

    def handle(self, port, meta, d, data):
        if (M.MODEL in d and d[M.MODEL] != self.codec.name) or \
                (M.MODEL_ID in d and M.get_int(d, M.MODEL_ID) != self.codec.model_id):
            self.count("inconsistent")
            self.logger.warn(f"chunk of image {d.get(M.IMAGE_ID, '?')} is for model {d.get(M.MODEL, d.get(M.MODEL_ID))}, "
                             f"not {self.codec.name} ({self.codec.model_id}): dropped")
            return
        key = M.get_int(d, M.IMAGE_ID, 0)
        idx = M.get_int(d, M.CHUNK, 0, 0, M.header_max(M.CHUNK))
        if d.get(M.CHUNK_FAILED):
            chunk = None
        elif np.iscomplexobj(data):
            chunk = Chunk(idx, SYMBOLS, data)
        elif data.dtype == np.uint8:
            chunk = Chunk(idx, BYTES, data)
        else:
            raise TypeError(f"chunk payload of {data.dtype}: expected c32 or u8")
        v = d.get(M.SNR_DB)
        # a NaN / inf estimate is no estimate (the chunk still counts); a non-number is bad metadata
        snr = None if v is None or (isinstance(v, float) and not np.isfinite(v)) else M.get_float(d, M.SNR_DB)
        lost = M.get_int(d, M.LOST_FRAGMENTS, 0)
        known = M.IMAGE_ID in d  # without an id there is no identity to re-deliver
        with self._lock:
            if known and key in self._done:
                self.count("redelivered")
                self.logger.warn(f"chunk {idx} of image {key}, which was decoded already: dropped (re-delivery)")
                return
            for k in [k for k in self._pending if k != key]:
                self._expire(k)  # the transmitter has moved on
            im = self._pending.get(key)
            if im is None:
                im = _Image(d, self.height, self.width)
                if known:
                    self._count_gap(key)
                self._pending[key] = im
            if idx >= im.count:
                raise ValueError(f"chunk {idx} of an image with {im.count} chunks")
            self.count("chunks")
            self.count("chunks_failed", chunk is None)
            damaged = bool(d.get(M.CHUNK_DAMAGED)) and chunk is not None
            self.count("chunks_damaged", damaged)
            im.damaged += damaged
            im.chunks[idx] = chunk
            im.last = {M.SNR_DB: snr} if snr is not None else {}  # what the latest chunk saw
            if M.MCS in d:
                im.last[M.MCS] = str(d[M.MCS])
            if snr is not None:
                im.snr.append(snr)
            im.lost_fragments += lost
            im.updated = time.monotonic()
            if len(im.chunks) >= im.count:
                self._decode(key)
            elif self.refine:
                self._publish(key, im, final=False)

    def expire(self, key):
        self._decode(key)

    def _count_gap(self, key):
        """Ids skipped since the last new image: whole images lost (ids run up, wrapping at 16 bits;
        a jump backwards or by half the id space is a restarted sender, not a loss)."""
        span = M.header_max(M.IMAGE_ID) + 1
        if self._last_id is not None:
            gap = (key - self._last_id - 1) % span
            if 0 < gap < span // 2:
                self.count("missing_images", gap)
                self.logger.warn(f"images {self._last_id + 1}..{key - 1}: not one frame arrived ({gap} lost)")
        self._last_id = key

    def _decode(self, key):
        """Decode and publish one image (lock held)."""
        im = self._pending.pop(key)
        if M.IMAGE_ID in im.first:
            self._done[key] = True
        while len(self._done) > DONE_WINDOW:
            self._done.popitem(last=False)
        self._publish(key, im, final=True)

    def _publish(self, key, im, final):
        """Decode what im holds; final: on "out" with the counts, else a refinement on "refine"."""
        d = im.first
        h, w = (im.height, im.width) if im.height > 0 and im.width > 0 else (self.height, self.width)
        if h <= 0 or w <= 0:
            return self.drop(f"image {key}: no image size in the metadata and none set on the block")
        if h * w > MAX_PIXELS:
            return self.drop(f"image {key}: {w}x{h} exceeds {MAX_PIXELS} pixels") if final else None
        if self.codec.kind == SYMBOLS and hasattr(self.codec, "n_symbols"):
            # a size the symbols cannot stand for (a corrupt header): never decode a huge
            # made-up image from a few symbols (memory and time follow what arrived)
            got = sum(c.data.size for c in im.chunks.values() if c is not None)
            if self.codec.n_symbols(h, w) > 2 * got + 65536:
                if not final:
                    return  # the final decode counts it once
                self.count("inconsistent")
                return self.drop(f"image {key}: {w}x{h} needs {self.codec.n_symbols(h, w)} symbols, {got} came")
        snr = float(np.mean(im.snr)) if im.snr else self.snr_db
        if self.codec.snr_input and snr is None:
            if not final:
                return  # no refinement without an SNR; the image's final decode counts and logs it
            self.count("no_snr")  # and "dropped": the receivers' accounting sums the drops
            return self.drop(f"image {key}: {self.codec.name} decodes for the receiver's SNR and the chunks "
                             "carry no snr_db (nor is one set on the block)")
        out = self.codec.decode(im.chunks, h, w, snr_db=snr)
        info = out.info
        failed = int(sum(c is None for c in im.chunks.values()))
        if not final:
            self.count("refinements")
            meta = M.with_entries(pmt.make_dict(), **{M.IMAGE_ID: key, M.HEIGHT: h, M.WIDTH: w, M.CHUNKS: im.count,
                                                      M.REFINEMENT: len(im.chunks), M.FILE: str(d.get(M.FILE, "")),
                                                      **im.last})
            return self.publish(meta, out.image, "refine")
        entries = {M.IMAGE_ID: key, M.CHUNKS: im.count, M.CHUNKS_RECEIVED: len(im.chunks) - failed,
                   M.CHUNKS_FAILED: failed, M.CHUNKS_DAMAGED: im.damaged,
                   M.DECODE_FAILED: bool(info.get("failed", False)),
                   M.LOST_FRAGMENTS: im.lost_fragments}
        if self.codec.kind == SYMBOLS:  # symbols zero-filled / dropped / zeroed
            for k in (M.MISSING, M.EXTRA, M.NONFINITE):
                if k in info:
                    entries[k] = int(info[k])
        if self.codec.kind == SYMBOLS and (info.get(M.MISSING) or info.get(M.EXTRA) or info.get(M.NONFINITE)):
            self.count("damaged")
            self.count("short", bool(info.get(M.MISSING)))
            self.count("long", bool(info.get(M.EXTRA)))
            self.count("nonfinite", bool(info.get(M.NONFINITE)))
            self.logger.warn(f"image {key}: damaged symbols ({info.get(M.MISSING)} zero-filled, "
                             f"{info.get(M.EXTRA)} dropped, {info.get(M.NONFINITE)} non-finite zeroed)")
        if info.get("failed"):
            self.count("decode_failed")
            self.logger.warn(f"image {key}: {self.codec.name} could not decode ({info.get('reason')}); "
                             "mean-colour image")
        if im.snr:
            entries[M.SNR_DB] = float(np.mean(im.snr))
        meta = M.with_entries(pmt.make_dict(), **{k: v for k, v in d.items()
                                                  if isinstance(v, (int, float, str, bool)) and k != M.CSI})
        self.count("decoded")
        self.publish(M.with_entries(meta, **entries, **{M.HEIGHT: h, M.WIDTH: w}), out.image)


class codec_encoder(tx_progress, gr.hier_block2):
    """Image PDUs in ("in"), complex symbols out as a tagged stream: one packet_len packet per
    chunk (byte chunks through the Chunk FEC Encoder at `mcs`), the chunk's metadata as tags on
    its first symbol. snr_db / set_snr_db / "snr": the transmitter's CSI (codec_encode_pdu).
    progress(given, taken) / in_flight(given): what has been transmitted, counted per image (each
    chunk is its symbols on the stream)."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", kn=0, mcs="qpsk-1/2", threads=0, len_tag_key=M.LEN_TAG,
                 engine="auto", snr_db=None):
        gr.hier_block2.__init__(self, "jscc_codec_encoder", gr.io_signature(0, 0, 0),
                                gr.io_signature(1, 1, gr.sizeof_gr_complex))
        self.message_port_register_hier_in("in")
        self.message_port_register_hier_in("snr")
        self.encode = codec_encode_pdu(model, kn, mcs, threads, engine, snr_db)
        self.fec = chunk_fec_encoder(mcs)
        self.to_stream = pdu_to_stream(len_tag_key)
        self.to_stream.set_min_output_buffer(STREAM_BUFFER)
        self._last = self.to_stream
        self._link_ledger(lambda n, d: (0, n))
        self.msg_connect(self, "in", self.encode, "in")
        self.msg_connect(self, "snr", self.encode, "snr")
        self.msg_connect(self.encode, "out", self.fec, "in")
        self.msg_connect(self.fec, "out", self.to_stream, "pdus")
        self.connect(self.to_stream, self)

    @property
    def codec(self):
        return self.encode.codec

    def _last_input_read(self):
        return self.to_stream.nitems_written(0)

    def set_snr_db(self, snr_db):
        self.encode.set_snr_db(snr_db)


class codec_decoder(gr.hier_block2):
    """Tagged stream of received symbols in (one packet_len packet per chunk, tags as the encoder
    set them plus the channel's snr_db, which an SNR-adaptive codec decodes for; snr_db: the
    fallback where there is none), image PDUs out ("out")."""

    def __init__(self, model="deepjscc-kn6-awgn-10db", height=0, width=0, threads=0, timeout=2.0,
                 len_tag_key=M.LEN_TAG, engine="auto", snr_db=None):
        gr.hier_block2.__init__(self, "jscc_codec_decoder", gr.io_signature(1, 1, gr.sizeof_gr_complex),
                                gr.io_signature(0, 0, 0))
        self.message_port_register_hier_out("out")
        self.to_pdu = stream_to_pdu(len_tag_key)
        self.decode = codec_decode_pdu(model, height, width, threads, timeout, engine, snr_db)
        # a codec that decodes any bytes gets damaged chunks as they came, not as lost
        self.fec = chunk_fec_decoder(threads, getattr(self.decode.codec, "bit_error_tolerant", False))
        self.connect(self, self.to_pdu)
        self.msg_connect(self.to_pdu, "pdus", self.fec, "in")
        self.msg_connect(self.fec, "out", self.decode, "in")
        self.msg_connect(self.decode, "out", self, "out")

    @property
    def codec(self):
        return self.decode.codec

    def stats(self):
        """Decoder counts plus the framing counts of the stream side and the FEC counts."""
        return dict(self.decode.stats(), **{"framing_" + k: v for k, v in self.to_pdu.stats().items()},
                    **{"fec_" + k: v for k, v in self.fec.stats().items()})
