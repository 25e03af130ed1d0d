"""The simulated link as a flowgraph: Image Source -> Deep JSCC Encoder -> channel -> Decoder -> Image Sink."""
import time

from gnuradio import gr

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
