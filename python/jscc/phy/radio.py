"""Where the baseband goes or comes from: USRP (gr-uhd), HackRF (gr-soapy), ZMQ PUSH/PULL, IQ file.

One function per direction so tx_image.py, rx_image.py and channel_sim.py share them. Opening
a radio that is not there fails within `open_timeout` seconds with a RadioError naming the
device arguments (UHD's device search can otherwise take long on some networks). Every other
way of failing to open (a malformed ZMQ address, a port in use, an IQ file that is empty or in a
folder that does not exist) is a RadioError with one line saying so, never a traceback.

ZMQ: the sending side is zmq_push_sink (pyzmq), not gr-zeromq's push sink: it keeps only a few
messages queued (back-pressure reaches the transmitter when no receiver pulls) and, when the
flowgraph has stopped, close() waits until ZMQ has handed every queued message to the peer, so
a transmitter knows its samples left; gr-zeromq drops what is still queued one second after it
stops (the tail of a transmission whose receiver connected late). Receivers use gr-zeromq's
pull source.
"""
import os
import signal
import threading
import time

import numpy as np

from gnuradio import analog, blocks, gr, zeromq

from .. import cli

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


def _hackrf(direction, args, freq, rate, gain, open_timeout, burst=False):
    from gnuradio import soapy  # imported here: only the HackRF path needs it
    dev = "driver=hackrf" + (f",{args}" if args else "")
    what = f"HackRF (SoapySDR device {dev!r})"

    def make():
        cls = soapy.sink if direction == "tx" else soapy.source
        s = cls(dev, "fc32", 1, "", "", [""], [""])
        s.set_sample_rate(0, rate)
        s.set_frequency(0, freq)
        s.set_gain(0, gain)
        if burst and direction == "tx":
            s.set_length_tag_name("burst_len")  # gr-soapy ends a burst after this many samples
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


class zmq_push_sink(gr.sync_block):
    """Complex samples -> ZMQ PUSH bound at `address`, compatible with gr-zeromq's pull_source
    (raw complex64 messages, no tags). At most `hwm` messages wait in ZMQ: with no receiver
    pulling, work() waits and the flowgraph behind it backs up (nothing is dropped). After the
    flowgraph stopped, close(timeout) says whether every queued message reached the peer."""

    def __init__(self, address, hwm=8):
        gr.sync_block.__init__(self, name="jscc_zmq_push_sink", in_sig=[np.complex64], out_sig=None)
        import zmq  # python3-zmq: only the ZMQ path needs it
        self._zmq = zmq
        self._ctx = zmq.Context()
        self._sock = self._ctx.socket(zmq.PUSH)
        self._sock.setsockopt(zmq.SNDHWM, int(hwm))
        self._sock.setsockopt(zmq.LINGER, 0)
        try:
            self._sock.bind(address)
        except zmq.ZMQError as e:
            self._sock.close()
            self._ctx.term()
            raise RadioError(f"ZMQ address {address!r}: {e}") from None
        self.address = address
        self._closed = False

    def work(self, input_items, output_items):
        x = input_items[0]
        try:
            self._sock.send(x, self._zmq.NOBLOCK)
        except self._zmq.Again:
            self._sock.poll(50, self._zmq.POLLOUT)  # no receiver (or a slow one): wait, never spin
            return 0
        return len(x)

    def close(self, timeout=None, stop=()):
        """Call after the flowgraph stopped. Waits until ZMQ has passed every queued message on to
        the peer (a receiver that connects late still gets the tail), at most timeout s (None: no
        limit) and until `stop` (stop_on_signals' list) fills; True if everything went."""
        if self._closed:
            return True
        self._closed = True
        self._sock.setsockopt(self._zmq.LINGER, -1)
        self._sock.close()
        done = threading.Event()
        # term() blocks until the queue is empty: wait for it where Ctrl-C and a timeout still work
        threading.Thread(target=lambda: (self._ctx.term(), done.set()), daemon=True).start()
        t0 = time.monotonic()
        while not done.wait(0.05):
            if stop or (timeout is not None and time.monotonic() - t0 > timeout):
                return False
        return True


def _zmq_pull(address):
    if not address.startswith(("tcp://", "ipc://", "inproc://")):
        raise RadioError(f"ZMQ address {address!r}: expected tcp://HOST:PORT (or ipc://PATH)")
    try:
        return zeromq.pull_source(gr.sizeof_gr_complex, 1, address, 100, False, -1)
    except RuntimeError as e:
        raise RadioError(f"ZMQ address {address!r}: {e}") from None


def _iq_out(path):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise RadioError(f"IQ file {path!r}: folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise RadioError(f"IQ file {path!r}: not writable")
    try:
        f = blocks.file_sink(gr.sizeof_gr_complex, path, False)
    except RuntimeError as e:
        raise RadioError(f"IQ file {path!r}: {e}") from None
    f.set_unbuffered(False)
    return f


def _iq_in(path, rate):
    if not os.path.isfile(path):
        raise RadioError(f"IQ file {path!r}: not found")
    size = os.path.getsize(path)
    if size < gr.sizeof_gr_complex:
        raise RadioError(f"IQ file {path!r}: empty ({size} bytes; expected complex64 samples)")
    if size % gr.sizeof_gr_complex:
        raise RadioError(f"IQ file {path!r}: {size} bytes is not a whole number of complex64 samples")
    return then_silence(blocks.file_source(gr.sizeof_gr_complex, path, False), size // gr.sizeof_gr_complex, rate)


def sink(kind, address="", args="", freq=2.45e9, rate=1e6, gain=0.0, antenna="", open_timeout=4.0, burst=False):
    """A block taking complex baseband: kind usrp | hackrf | zmq (PUSH, binds address) | file (address: path).
    burst: the stream carries burst tags (ofdm_mod_cc burst mode): gr-uhd reads tx_sob / tx_eob by
    itself, gr-soapy is told the burst_len tag."""
    if kind == "usrp":
        return _usrp("tx", args, freq, rate, gain, antenna, open_timeout)
    if kind == "hackrf":
        return _hackrf("tx", args, freq, rate, gain, open_timeout, burst)
    if kind == "zmq":
        if not address.startswith(("tcp://", "ipc://", "inproc://")):
            raise RadioError(f"ZMQ address {address!r}: expected tcp://HOST:PORT (or ipc://PATH)")
        return zmq_push_sink(address)
    if kind == "file":
        return _iq_out(address)
    raise ValueError(f"radio kind must be one of {KINDS}, got {kind!r}")


def source(kind, address="", args="", freq=2.45e9, rate=1e6, gain=0.0, antenna="", open_timeout=4.0):
    """A block giving complex baseband: kind usrp | hackrf | zmq (PULL, connects) | file (replay once,
    then silence: then_silence)."""
    if kind == "usrp":
        return _usrp("rx", args, freq, rate, gain, antenna, open_timeout)
    if kind == "hackrf":
        return _hackrf("rx", args, freq, rate, gain, open_timeout)
    if kind == "zmq":
        return _zmq_pull(address)
    if kind == "file":
        return _iq_in(address, rate)
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
    g.add_argument("--freq", type=cli.positive_float, default=2.45e9, help="centre frequency (Hz)")
    g.add_argument("--rate", type=cli.positive_float, default=1e6, help="sample rate (Hz)")
    g.add_argument("--gain", type=cli.finite_float, default=default_gain, help="gain (dB)")
    g.add_argument("--antenna", default="", help="USRP antenna port")


def stop_on_signals():
    """A list that becomes non-empty on Ctrl-C or SIGTERM: apps poll it to stop cleanly."""
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    return stop


def kind_of(a):
    return "usrp" if a.usrp else "hackrf" if a.hackrf else "zmq" if a.zmq else "file"


def from_arguments(a, direction, burst=False):
    kind = kind_of(a)
    address = a.zmq or a.file or ""
    if direction == "tx":
        return kind, sink(kind, address, a.args, a.freq, a.rate, a.gain, a.antenna, burst=burst)
    return kind, source(kind, address, a.args, a.freq, a.rate, a.gain, a.antenna)
