"""Where the baseband goes or comes from: USRP (gr-uhd), HackRF (gr-soapy), ZMQ PUSH/PULL, IQ file.

One function per direction so tx_image.py, rx_image.py and channel_sim.py share them. Opening
a radio that is not there fails within `open_timeout` seconds with a RadioError naming the
device arguments (UHD's device search can otherwise take long on some networks).
"""
import threading

import os
import signal

from gnuradio import analog, blocks, gr, zeromq

KINDS = ("usrp", "hackrf", "zmq", "file")


class RadioError(RuntimeError):
    pass


def _open(what, make, open_timeout):
    box = {}

    def run():
        try:
            box["blk"] = make()
        except Exception as e:  # the drivers raise RuntimeError, ValueError, ... : report them all alike
            box["err"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(open_timeout)
    if t.is_alive():
        raise RadioError(f"{what}: no answer within {open_timeout:g} s")
    if "err" in box:
        raise RadioError(f"{what}: {box['err']}")
    return box["blk"]


def _usrp(direction, args, freq, rate, gain, antenna, open_timeout):
    from gnuradio import uhd  # imported here: only the USRP path needs it
    what = f"USRP with device args {args!r}" + (" (empty: any USRP)" if not args else "")

    def make():
        cls = uhd.usrp_sink if direction == "tx" else uhd.usrp_source
        u = cls(args, uhd.stream_args(cpu_format="fc32", channels=[0]))
        u.set_samp_rate(rate)
        u.set_center_freq(freq, 0)
        u.set_gain(gain, 0)
        if antenna:
            u.set_antenna(antenna, 0)
        return u
    return _open(what, make, open_timeout)


def _hackrf(direction, args, freq, rate, gain, open_timeout):
    from gnuradio import soapy  # imported here: only the HackRF path needs it
    dev = "driver=hackrf" + (f",{args}" if args else "")
    what = f"HackRF (SoapySDR device {dev!r})"

    def make():
        cls = soapy.sink if direction == "tx" else soapy.source
        s = cls(dev, "fc32", 1, "", "", [""], [""])
        s.set_sample_rate(0, rate)
        s.set_frequency(0, freq)
        s.set_gain(0, gain)
        return s
    return _open(what, make, open_timeout)


class then_silence(gr.hier_block2):
    """A finite source (n_items samples) followed by endless zeros at `rate` samples/s, like a radio
    that goes quiet. A flowgraph whose stream ends also ends its message blocks, so an image that
    completes by timeout after the recording would never be decoded; this keeps it alive.
    finished(): the recording has been read through."""

    def __init__(self, src, n_items, rate=1e6):
        gr.hier_block2.__init__(self, "jscc_then_silence", gr.io_signature(0, 0, 0),
                                gr.io_signature(1, 1, gr.sizeof_gr_complex))
        self.n_items = int(n_items)
        self.src = src
        zeros = analog.sig_source_c(rate, analog.GR_CONST_WAVE, 0, 0, 0)
        self.throttle = blocks.throttle(gr.sizeof_gr_complex, rate, True)
        self.mux = blocks.stream_mux(gr.sizeof_gr_complex, [max(self.n_items, 1), (1 << 31) - 1])
        self.connect(src, (self.mux, 0))
        self.connect(zeros, self.throttle, (self.mux, 1))
        self.connect(self.mux, self)

    def finished(self):
        return self.mux.nitems_written(0) >= self.n_items


def sink(kind, address="", args="", freq=2.45e9, rate=1e6, gain=0.0, antenna="", open_timeout=4.0):
    """A block taking complex baseband: kind usrp | hackrf | zmq (PUSH, binds address) | file (address: path)."""
    if kind == "usrp":
        return _usrp("tx", args, freq, rate, gain, antenna, open_timeout)
    if kind == "hackrf":
        return _hackrf("tx", args, freq, rate, gain, open_timeout)
    if kind == "zmq":
        # PUSH/PULL queue until the receiver connects: nothing is lost to start-up order
        return zeromq.push_sink(gr.sizeof_gr_complex, 1, address, 100, False, -1)
    if kind == "file":
        f = blocks.file_sink(gr.sizeof_gr_complex, address, False)
        f.set_unbuffered(False)
        return f
    raise ValueError(f"radio kind must be one of {KINDS}, got {kind!r}")


def source(kind, address="", args="", freq=2.45e9, rate=1e6, gain=0.0, antenna="", open_timeout=4.0):
    """A block giving complex baseband: kind usrp | hackrf | zmq (PULL, connects) | file (replay once,
    then silence: then_silence)."""
    if kind == "usrp":
        return _usrp("rx", args, freq, rate, gain, antenna, open_timeout)
    if kind == "hackrf":
        return _hackrf("rx", args, freq, rate, gain, open_timeout)
    if kind == "zmq":
        return zeromq.pull_source(gr.sizeof_gr_complex, 1, address, 100, False, -1)
    if kind == "file":
        if not os.path.isfile(address):
            raise RadioError(f"IQ file {address!r}: not found")
        n = os.path.getsize(address) // gr.sizeof_gr_complex
        return then_silence(blocks.file_source(gr.sizeof_gr_complex, address, False), n, rate)
    raise ValueError(f"radio kind must be one of {KINDS}, got {kind!r}")


def add_arguments(ap, default_gain):
    """The radio choice and settings every app takes."""
    g = ap.add_argument_group("radio (exactly one)")
    x = g.add_mutually_exclusive_group(required=True)
    x.add_argument("--usrp", action="store_true", help="USRP through gr-uhd")
    x.add_argument("--hackrf", action="store_true", help="HackRF through gr-soapy (SoapyHackRF)")
    x.add_argument("--zmq", metavar="ADDR", help="baseband over ZMQ PUSH/PULL, e.g. tcp://127.0.0.1:5555")
    x.add_argument("--file", metavar="PATH", help="IQ file (complex64): record (TX) or replay (RX)")
    g.add_argument("--args", default="", help="device arguments, e.g. type=b200 or serial=...")
    g.add_argument("--freq", type=float, default=2.45e9, help="centre frequency (Hz)")
    g.add_argument("--rate", type=float, default=1e6, help="sample rate (Hz)")
    g.add_argument("--gain", type=float, default=default_gain, help="gain (dB)")
    g.add_argument("--antenna", default="", help="USRP antenna port")


def stop_on_signals():
    """A list that becomes non-empty on Ctrl-C or SIGTERM: apps poll it to stop cleanly."""
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    return stop


def from_arguments(a, direction):
    kind = "usrp" if a.usrp else "hackrf" if a.hackrf else "zmq" if a.zmq else "file"
    address = a.zmq or a.file or ""
    make = sink if direction == "tx" else source
    return kind, make(kind, address, a.args, a.freq, a.rate, a.gain, a.antenna)
