"""Stand-ins for the radio blocks (gr-uhd's usrp_sink / usrp_source, gr-soapy's sink / source):
radio hardware cannot be part of CI, so the tests replace exactly these blocks and nothing else.
A sink consumes everything and keeps the burst tags it saw; a source plays a recording, then
silence, at a bounded rate like a radio."""
import time

import numpy as np
import pmt
from gnuradio import gr

BURST_KEYS = ("tx_sob", "tx_eob", "burst_len")


class _settings:
    """The tuning calls the apps and the compiled examples make, recorded."""

    def _record(self, name, *args):
        self.calls.append((name,) + args)

    def set_samp_rate(self, *a): self._record("set_samp_rate", *a)  # noqa: E704
    def set_center_freq(self, *a): self._record("set_center_freq", *a)  # noqa: E704
    def set_gain(self, *a): self._record("set_gain", *a)  # noqa: E704
    def set_antenna(self, *a): self._record("set_antenna", *a)  # noqa: E704
    def set_sample_rate(self, *a): self._record("set_sample_rate", *a)  # noqa: E704
    def set_frequency(self, *a): self._record("set_frequency", *a)  # noqa: E704
    def set_bandwidth(self, *a): self._record("set_bandwidth", *a)  # noqa: E704
    def set_length_tag_name(self, *a): self._record("set_length_tag_name", *a)  # noqa: E704


class FakeRadioSink(_settings, gr.sync_block):
    def __init__(self, *args, **kw):
        gr.sync_block.__init__(self, name="fake_radio_sink", in_sig=[np.complex64], out_sig=None)
        self.calls, self.tags, self.n = [("make",) + args], [], 0
        self.keep = []

    def work(self, input_items, output_items):
        x = input_items[0]
        for t in self.get_tags_in_window(0, 0, len(x)):
            k = pmt.symbol_to_string(t.key)
            if k in BURST_KEYS:
                self.tags.append((t.offset, k, pmt.to_python(t.value)))
        self.keep.append(x.copy())
        self.n += len(x)
        return len(x)

    def samples(self):
        return np.concatenate(self.keep) if self.keep else np.zeros(0, np.complex64)


class FakeRadioSource(_settings, gr.sync_block):
    def __init__(self, *args, recording=None, rate=4e6, **kw):
        gr.sync_block.__init__(self, name="fake_radio_source", in_sig=None, out_sig=[np.complex64])
        self.calls = [("make",) + args]
        self.rec = np.zeros(0, np.complex64) if recording is None else np.asarray(recording, np.complex64)
        self.pos, self.rate, self.t0 = 0, rate, None

    def work(self, input_items, output_items):
        out = output_items[0]
        if self.t0 is None:
            self.t0 = time.monotonic()
        allowed = int((time.monotonic() - self.t0) * self.rate) - self.nitems_written(0)
        if allowed <= 0:
            time.sleep(0.005)
            return 0
        n = min(len(out), allowed)
        k = max(0, min(n, self.rec.size - self.pos))
        out[:k] = self.rec[self.pos:self.pos + k]
        out[k:n] = 0
        self.pos += k
        return n


def install(monkeypatch, recording=None):
    """Replace the radio blocks; returns the list every made stand-in is appended to."""
    from gnuradio import soapy, uhd
    made = []

    def factory(cls, **extra):
        def make(*args, **kw):
            blk = cls(*args, **extra)
            made.append(blk)
            return blk
        return make
    monkeypatch.setattr(uhd, "usrp_sink", factory(FakeRadioSink))
    monkeypatch.setattr(uhd, "usrp_source", factory(FakeRadioSource, recording=recording))
    monkeypatch.setattr(soapy, "sink", factory(FakeRadioSink))
    monkeypatch.setattr(soapy, "source", factory(FakeRadioSource, recording=recording))
    return made
