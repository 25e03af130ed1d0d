"""The simulated link as a flowgraph: Image Source -> Codec Encoder -> channel -> Codec Decoder -> Image Sink,
directly on symbols or through the OFDM PHY, for any registered codec."""
import os
import time

from gnuradio import gr

from ..channels.channel_sim import channel_sim
from ..phy.ofdm import OfdmParams
from .codec_ofdm import codec_ofdm_rx, codec_ofdm_tx
from ..blocks.codec_blocks import STREAM_BUFFER, codec_decoder, codec_encoder
from ..codecs.base import BYTES
from ..blocks.image_sink import image_sink
from ..blocks.image_source import image_source
from ..jscc_python import awgn_cc, rayleigh_cc

CHANNELS = ("awgn", "rayleigh")


def make_channel(kind, snr_db, seed):
    if kind == "awgn":
        return awgn_cc(snr_db, 1.0, seed)
    if kind == "rayleigh":  # one h per image, phase known at the receiver (the paper's Kodak runs)
        return rayleigh_cc(snr_db, 0, True, seed)
    raise ValueError(f"unknown channel {kind!r}; choose from {CHANNELS}")


WINDOW = 3  # images in the link at once: memory stays flat on any folder (the source waits)


class _loopback(gr.top_block):
    tail_slack = 0  # samples of silence that end the transmission (the OFDM gap after a frame)

    """What both loopbacks share: back-pressure from the sink to the source, and completion
    decided on counts. Subclasses set source, tx (a tx_progress), channel_in / channel_out (the
    channel's first and last blocks), sink, decode (the codec_decode_pdu) and implement
    _rx_settled() and _drain()."""

    def _setup(self, window=WINDOW):
        self._lost = 0
        self.source.set_in_flight(self._in_flight, window)

    def _accounted(self):
        """Images given to the link that are out: refused by the encoder, in the sink, or known lost
        (ids skipped at the decoder: not one frame arrived; or given up after the link settled)."""
        return (self.tx.encode.errors() + self.sink.stat("images") + self.sink.stat("dropped")
                + self.decode.stat("missing_images") + self._lost)

    def _in_flight(self):
        n = self.source.sent() - self._accounted()
        if n >= self.source.window and self._settled():
            # everything sent so far has gone through and some images never came: whole images
            # lost on the channel (or pending partial ones): decide now, on the counts
            self._drain()
            n = self.source.sent() - self._accounted()
            self._lost += max(n, 0)
            n = self.source.sent() - self._accounted()
        return n

    def _settled(self):
        p = self.tx.progress(self.source.sent(), self.channel_in.nitems_read(0))
        return p["done"] and self._channel_flushed() and self._rx_settled()

    def _channel_flushed(self):
        # a filter or resampler keeps a few samples of look-ahead back: they are the silent gap
        # after the last frame (tail_slack samples), so a block that holds no more is through
        blocks = self.channel_chain
        return all(b.nitems_read(0) + self.tail_slack >= a.nitems_written(0) for a, b in zip(blocks, blocks[1:]))

    def complete(self):
        """Every image given has been sent and everything sent has gone through the receiver."""
        return self.source.done() and self._settled()

    def lost(self):
        """Images sent and not received (after completion: final)."""
        return max(self.source.sent() - self.tx.encode.errors() - self.sink.stat("images"), 0)

    def run_images(self, timeout=None):
        """Run until every image the source sent is through the link (in the sink, or refused,
        or lost: decided on counts, never on idle time), drain partial images into the sink,
        stop. Returns (sink results, seconds); raises TimeoutError naming what is missing."""
        return run_until_done(self, timeout)


class codec_loopback(_loopback):
    """Symbols straight into the channel block. kn / mcs: a byte codec's budget and coding (its
    soft demapper takes the SNR the AWGN block tags; slow fading needs the OFDM receiver's
    channel estimate: --phy ofdm)."""

    def __init__(self, images, model, channel="awgn", snr_db=10.0, seed=1, out_dir="", reference="",
                 compute_ssim=True, threads=0, kn=0, mcs="qpsk-1/2", engine="auto"):
        gr.top_block.__init__(self, "jscc_codec_loopback")
        self.source = image_source(images)
        # the simulated transmitter knows the channel's SNR (an SNR-adaptive codec encodes for it)
        self.encoder = codec_encoder(model, kn, mcs, threads, engine=engine, snr_db=snr_db)
        if self.encoder.codec.kind == BYTES and channel != "awgn":
            raise ValueError(f"a digital scheme on the direct path needs --channel awgn (got {channel}); "
                             "use --phy ofdm for fading")
        self.channel = make_channel(channel, snr_db, seed)
        self.channel.set_min_output_buffer(STREAM_BUFFER)
        self.decoder = codec_decoder(model, threads=threads, engine=engine)
        self.sink = image_sink(out_dir, reference, compute_ssim)
        self.msg_connect(self.source, "out", self.encoder, "in")
        self.connect(self.encoder, self.channel, self.decoder)
        self.msg_connect(self.decoder, "out", self.sink, "in")
        self.tx, self.decode = self.encoder, self.decoder.decode
        self.channel_in = self.channel_out = self.channel
        self.channel_chain = [self.channel]
        self._setup()

    def _rx_settled(self):
        d = self.decoder
        s2p, fec, dec = d.to_pdu.stats(), d.fec.stats(), d.decode.stats()
        return (d.to_pdu.nitems_read(0) >= self.channel.nitems_written(0) and s2p["incomplete"] == 0
                and fec["received"] >= s2p["packets"] and dec["received"] >= fec["decoded"] + fec["failed"] + fec["passed"]
                and self.sink.stat("received") >= dec["decoded"])

    def _drain(self):
        self.decode.flush()
        t0 = time.monotonic()
        while self.sink.stat("received") < self.decode.stat("decoded") and time.monotonic() - t0 < 10:
            time.sleep(0.01)


class codec_ofdm_loopback(_loopback):
    """The same link through the OFDM PHY: source -> codec + OFDM TX -> channel_sim -> OFDM RX +
    reassembly + FEC + decoder -> sink. Channel options as channel_sim (cfo, timing, ...)."""

    def __init__(self, images, model, channel="awgn", snr_db=10.0, seed=1, out_dir="", reference="",
                 compute_ssim=True, threads=0, params=None, equalizer="zf", clip_db=0.0, kn=0, mcs="qpsk-1/2",
                 engine="auto", policy=None, slot_symbols=12288, **impairments):
        gr.top_block.__init__(self, "jscc_codec_ofdm_loopback")
        p = params or OfdmParams()
        self.source = image_source(images)
        self.tx = codec_ofdm_tx(model, p, clip_db=clip_db, threads=threads, kn=kn, mcs=mcs, engine=engine,
                                policy=policy, slot_symbols=slot_symbols, snr_db=snr_db)
        self.channel = channel_sim(channel, snr_db, fft_len=p.fft_len, seed=seed, **impairments)
        names = [os.path.basename(x) for x in self.source.paths]
        self.rx = codec_ofdm_rx(model, p, equalizer, names=names, threads=threads, engine=engine)
        self.sink = image_sink(out_dir, reference, compute_ssim)
        self.msg_connect(self.source, "out", self.tx, "in")
        self.connect(self.tx, self.channel, self.rx)
        self.msg_connect(self.rx, "out", self.sink, "in")
        if self.tx.scheduler is not None:  # the receiver's SNR estimates are the transmitter's CSI
            self.msg_connect(self.rx, "csi", self.tx, "csi")
        self.decode = self.rx.decode
        self.tail_slack = self.tx.gap
        self.channel_chain = list(self.channel.chain)
        self.channel_in, self.channel_out = self.channel_chain[0], self.channel_chain[-1]
        self._setup()

    def _rx_settled(self):
        return self.rx.settled(self.channel_out.nitems_written(0)) and \
            self.sink.stat("received") >= self.decode.stat("decoded")

    def _drain(self):
        self.rx.drain(self.sink)


deepjscc_loopback, deepjscc_ofdm_loopback = codec_loopback, codec_ofdm_loopback  # names before the codec interface


def run_until_done(tb, timeout=None):
    """Start tb, wait until tb.complete() (the source is done and every image is through the link,
    on the blocks' counts), drain what the receiver holds into the sink, stop. Partial images are
    drained before the flowgraph stops on a timeout too. Returns (results, seconds)."""
    if timeout is None:
        timeout = 30 + 5 * len(tb.source.paths)
    t0 = time.monotonic()
    tb.start()
    try:
        while not tb.complete():
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"loopback: {tb.sink.stat('images')} of {tb.source.sent()} images after {timeout} s")
            tb.sink.wait(len(tb.sink.results()) + 1, 0.02)
    finally:
        tb._drain()  # partial images pending now are decoded into the running sink, not lost
        tb.stop()
        tb.wait()
    return tb.sink.results(), time.monotonic() - t0
