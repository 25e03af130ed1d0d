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


class codec_loopback(gr.top_block):
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

    def run_images(self, timeout=None):
        """Run until every image the source sent came out of the sink (or was counted as dropped).

        Returns (sink results, seconds); raises TimeoutError naming what is missing.
        """
        return run_until_done(self, self._expected, timeout)

    def _expected(self):
        return self.source.sent() - self.encoder.encode.errors() - self.decoder.stats()["dropped"], False


class codec_ofdm_loopback(gr.top_block):
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

    def run_images(self, timeout=None):
        """Run until every image sent is out of the sink, or everything was transmitted, the
        receiver holds nothing and no image came for 3 s (images whose frames were all lost never
        reach reassembly; rx.stats() counts the rest). Returns (results, seconds)."""
        self._last = None
        return run_until_done(self, self._expected, timeout)

    def _expected(self):
        st = self.rx.stats()
        n = len(self.sink.results())
        now = time.monotonic()
        if self._last is None or self._last[0] != n:
            self._last = (n, now)
        settled = (self.source.done() and self.tx.idle() and self.rx.reassemble.pending() == 0
                   and self.rx.decode.pending() == 0 and now - self._last[1] > 3.0)
        return self.source.sent() - self.tx.encode.errors() - st["decoder"]["dropped"], settled


deepjscc_loopback, deepjscc_ofdm_loopback = codec_loopback, codec_ofdm_loopback  # names before the codec interface


def run_until_done(tb, expected, timeout=None):
    """Start tb, wait until its sink has expected()[0] images once the source is done (or until
    expected()[1] says nothing more can come), stop. Returns (results, seconds)."""
    if timeout is None:
        timeout = 30 + 5 * len(tb.source.paths)
    t0 = time.monotonic()
    tb.start()
    try:
        while True:
            expect, settled = expected()
            n = len(tb.sink.results())
            if tb.source.done() and (n >= expect or settled):
                break
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"loopback: {n} of {expect} images after {timeout} s")
            tb.sink.wait(n + 1, 0.05)
    finally:
        tb.stop()
        tb.wait()
    return tb.sink.results(), time.monotonic() - t0
