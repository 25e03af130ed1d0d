"""The simulated link as a flowgraph: Image Source -> Deep JSCC Encoder -> channel -> Decoder -> Image Sink."""
import os
import time

from gnuradio import gr

from .channel import channel_sim
from .ofdm import OfdmParams
from .ofdm_link import deepjscc_ofdm_rx, deepjscc_ofdm_tx
from .deepjscc_decoder import deepjscc_decoder
from .deepjscc_encoder import STREAM_BUFFER, deepjscc_encoder
from .image_sink import image_sink
from .image_source import image_source
from .jscc_python import awgn_cc, rayleigh_cc

CHANNELS = ("awgn", "rayleigh")


def make_channel(kind, snr_db, seed):
    if kind == "awgn":
        return awgn_cc(snr_db, 1.0, seed)
    if kind == "rayleigh":  # one h per image, phase known at the receiver (the paper's Kodak runs)
        return rayleigh_cc(snr_db, 0, True, seed)
    raise ValueError(f"unknown channel {kind!r}; choose from {CHANNELS}")


class deepjscc_loopback(gr.top_block):
    def __init__(self, images, model, channel="awgn", snr_db=10.0, seed=1, out_dir="", reference="",
                 compute_ssim=True, threads=0):
        gr.top_block.__init__(self, "jscc_deepjscc_loopback")
        self.source = image_source(images)
        self.encoder = deepjscc_encoder(model, threads)
        self.channel = make_channel(channel, snr_db, seed)
        self.channel.set_min_output_buffer(STREAM_BUFFER)
        self.decoder = deepjscc_decoder(model, threads=threads)
        self.sink = image_sink(out_dir, reference, compute_ssim)
        self.msg_connect(self.source, "out", self.encoder, "in")
        self.connect(self.encoder, self.channel, self.decoder)
        self.msg_connect(self.decoder, "out", self.sink, "in")

    def run_images(self, timeout=None):
        """Run until every image the source sent came out of the sink (or was counted as dropped).

        Returns (sink results, seconds); raises TimeoutError naming what is missing.
        """
        if timeout is None:
            timeout = 30 + 5 * len(self.source.paths)
        t0 = time.monotonic()
        self.start()
        try:
            while True:
                expect = self.source.sent() - self.encoder.encode.errors() - self.decoder.stats()["dropped"]
                if self.source.done() and len(self.sink.results()) >= expect:
                    break
                if time.monotonic() - t0 > timeout:
                    raise TimeoutError(f"loopback: {len(self.sink.results())} of {expect} images after {timeout} s")
                self.sink.wait(len(self.sink.results()) + 1, 0.05)
        finally:
            self.stop()
            self.wait()
        return self.sink.results(), time.monotonic() - t0


class deepjscc_ofdm_loopback(gr.top_block):
    """The same link through the OFDM PHY: source -> Deep JSCC + OFDM TX -> channel_sim -> OFDM RX +
    reassembly + decoder -> sink. Channel options as channel_sim (cfo, timing, ...)."""

    def __init__(self, images, model, channel="awgn", snr_db=10.0, seed=1, out_dir="", reference="",
                 compute_ssim=True, threads=0, params=None, equalizer="zf", clip_db=0.0, **impairments):
        gr.top_block.__init__(self, "jscc_deepjscc_ofdm_loopback")
        p = params or OfdmParams()
        self.source = image_source(images)
        self.tx = deepjscc_ofdm_tx(model, p, clip_db=clip_db, threads=threads)
        self.channel = channel_sim(channel, snr_db, fft_len=p.fft_len, seed=seed, **impairments)
        names = [os.path.basename(x) for x in self.source.paths]
        self.rx = deepjscc_ofdm_rx(model, p, equalizer, names=names, threads=threads)
        self.sink = image_sink(out_dir, reference, compute_ssim)
        self.msg_connect(self.source, "out", self.tx, "in")
        self.connect(self.tx, self.channel, self.rx)
        self.msg_connect(self.rx, "out", self.sink, "in")

    def run_images(self, timeout=None):
        """Run until every image sent is out of the sink; images whose frames were all lost are
        counted (reassembly never saw them). Returns (results, seconds)."""
        if timeout is None:
            timeout = 30 + 5 * len(self.source.paths)
        t0 = time.monotonic()
        self.start()
        try:
            while True:
                st = self.rx.stats()
                expect = self.source.sent() - self.tx.encode.errors() - st["decoder"]["dropped"]
                n = len(self.sink.results())
                if self.source.done() and n >= expect:
                    break
                # everything transmitted and nothing left in the receiver: what is missing is lost
                if self.source.done() and self.tx.idle() and time.monotonic() - t0 > 1 and \
                        st["reassembly"]["pending"] == 0 and self._quiet(n):
                    break
                if time.monotonic() - t0 > timeout:
                    raise TimeoutError(f"loopback: {n} of {expect} images after {timeout} s")
                self.sink.wait(n + 1, 0.1)
        finally:
            self.stop()
            self.wait()
        return self.sink.results(), time.monotonic() - t0

    def _quiet(self, n, secs=3.0):
        """No new image for secs seconds."""
        now = time.monotonic()
        if getattr(self, "_last_n", None) != n:
            self._last_n, self._last_t = n, now
        return now - self._last_t > secs
