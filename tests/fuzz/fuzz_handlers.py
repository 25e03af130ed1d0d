#!/usr/bin/env python3
"""Fuzzing harness (atheris, coverage-guided) for every Python message handler of the module.

Each input becomes one message (any PMT: PDUs with metadata of any key and any value type,
payloads of any dtype and size, or no PDU at all) for one of the message blocks, called through
the blocks' own guard exactly as GNU Radio calls it. The property: a message that is not what the
port takes is a counted drop, never an unexpected exception ("errors" must stay 0: a non-zero
count is a bug the handler did not classify) and never a crash or a hang (libFuzzer's -timeout).
The C++ LDPC PDU blocks get the same messages through a running flowgraph.

  tests/fuzz/fuzz_handlers.py -max_total_time=60          # libFuzzer options
"""
import os
import sys
import time

import atheris

import numpy as np
import pmt
from gnuradio import gr

# coverage for the module's own code only: instrumenting numpy, GNU Radio, onnxruntime and the
# image libraries as well took ~45 s of start-up out of a one-minute run
with atheris.instrument_imports(include=["gnuradio.jscc"]):
    from gnuradio import jscc
    from gnuradio.jscc import meta as M
    from gnuradio.jscc.blocks.pdu_block import pdu_block

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
gr.logging().set_default_level(gr.log_levels.off)  # every drop logs a line: millions of them
KEYS = sorted(set(M.HEADER_FIELDS) | {M.FILE, M.CODEC, M.MODEL, M.KIND, M.N_SYMBOLS, M.N_BYTES, M.MCS, M.CSI,
                                      M.CHUNK_FAILED, M.SNR_DB, M.NOISE_VAR, M.LOST_FRAGMENTS, M.TRUNCATED,
                                      M.FRAGMENTS, "junk"})
DTYPES = [np.uint8, np.int8, np.int16, np.uint16, np.int32, np.float32, np.float64, np.complex64, np.complex128]
SPECIAL = [float("nan"), float("inf"), -float("inf"), 1e30, -1e30, 0.0, -0.0, 1e-300]


def make_blocks():
    from PyQt5 import QtWidgets
    global QAPP
    QAPP = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    dj = "deepjscc-kn6-awgn-10db"
    b = [jscc.codec_encode_pdu(dj, threads=1), jscc.codec_encode_pdu("jpeg2000", 6, "16qam-1/2"),
         jscc.codec_decode_pdu(dj, threads=1, timeout=1.0), jscc.codec_decode_pdu("jpeg2000", timeout=1.0),
         jscc.chunk_fec_encoder("qpsk-1/2"), jscc.chunk_fec_decoder(1), jscc.chunk_reassembler(48, 1.0),
         jscc.chunk_reassembler(3072, 1.0, names=["a.png", "b.png"], model_id=1), jscc.qam_mapper(4),
         jscc.pdu_to_stream(), jscc.image_sink("", "", False), jscc.image_view(),
         jscc.codec_decode_pdu("jpeg2000", timeout=1.0, refine=True), jscc.slot_scheduler("groups:2"),
         jscc.csi_tap()]
    return b


BLOCKS = make_blocks()
# every input port of each block (a raw port such as "snr" or "csi" takes any PMT)
PORTS = [("pdus",) if isinstance(x, jscc.pdu_to_stream) else ("in", "csi") if isinstance(x, jscc.slot_scheduler)
         else ("in", "snr") if isinstance(x, jscc.codec_encode_pdu) else ("in",) for x in BLOCKS]

# the C++ message blocks: the same messages, through a running flowgraph (their handlers run on
# GNU Radio's message threads)
TB = gr.top_block()
CPP = [jscc.ldpc_encoder_pdu("8192-1/2"), jscc.ldpc_decoder_pdu("6144-1/3", 10, 1)]


class Count(pdu_block):
    """Counts what comes out (a message_debug would keep every message)."""

    def __init__(self):
        pdu_block.__init__(self, "fuzz_count", out_ports=())

    def handle(self, port, meta, d, data):
        pass

    def num_messages(self):
        return self.stat("received")


DBG = Count()
for c in CPP:
    TB.msg_connect(c, "out", DBG, "in")
TB.start()
POSTED = [0]


def value(fdp):
    k = fdp.ConsumeIntInRange(0, 9)
    if k == 0:
        return fdp.ConsumeIntInRange(-2 ** 40, 2 ** 40)
    if k == 1:
        return fdp.ConsumeIntInRange(-3, 70000)
    if k == 2:
        return SPECIAL[fdp.ConsumeIntInRange(0, len(SPECIAL) - 1)]
    if k == 3:
        return fdp.ConsumeFloat()
    if k == 4:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 12))
    if k == 5:
        return fdp.ConsumeBool()
    if k == 6:
        return pmt.PMT_NIL
    if k == 7:
        n = fdp.ConsumeIntInRange(0, 64)
        return pmt.init_f32vector(n, [fdp.ConsumeFloat() for _ in range(n)])
    if k == 8:
        return pmt.cons(pmt.intern("x"), pmt.from_long(fdp.ConsumeInt(4)))
    return fdp.ConsumeIntInRange(0, 16)


def message(fdp):
    kind = fdp.ConsumeIntInRange(0, 15)
    if kind == 0:
        return [pmt.intern("junk"), pmt.PMT_NIL, pmt.PMT_T, pmt.from_long(3),
                pmt.cons(pmt.make_dict(), pmt.intern("x"))][fdp.ConsumeIntInRange(0, 4)]
    meta = pmt.make_dict()
    for _ in range(fdp.ConsumeIntInRange(0, 10)):
        key = KEYS[fdp.ConsumeIntInRange(0, len(KEYS) - 1)]
        v = value(fdp)
        meta = pmt.dict_add(meta, pmt.intern(key), v if isinstance(v, pmt.pmt_base) else pmt.to_pmt(v))
    dtype = DTYPES[fdp.ConsumeIntInRange(0, len(DTYPES) - 1)]
    n = fdp.ConsumeIntInRange(0, 3072 * 2)
    raw = fdp.ConsumeBytes(n * np.dtype(dtype).itemsize)
    raw += b"\0" * (-len(raw) % np.dtype(dtype).itemsize)
    data = np.frombuffer(raw, dtype).copy()
    if fdp.ConsumeBool() and data.size:  # specials into float payloads
        if data.dtype.kind in "fc":
            data[fdp.ConsumeIntInRange(0, data.size - 1)] = SPECIAL[fdp.ConsumeIntInRange(0, len(SPECIAL) - 1)]
    from gnuradio.jscc.pmtio import to_pmt
    if kind == 1:
        meta = pmt.intern("not a dict")
    return pmt.cons(meta, to_pmt(data))


N = [0]


def TestOneInput(buf):
    N[0] += 1
    if N[0] % 2048 == 0:
        checkpoint()
    fdp = atheris.FuzzedDataProvider(buf)
    i = fdp.ConsumeIntInRange(0, len(BLOCKS) + len(CPP) - 1)
    msg = message(fdp)
    if i >= len(BLOCKS):
        CPP[i - len(BLOCKS)]._post(pmt.intern("in"), msg)
        POSTED[0] += 1
        return
    blk = BLOCKS[i]
    port = PORTS[i][fdp.ConsumeIntInRange(0, len(PORTS[i]) - 1)]
    if port in getattr(blk, "raw_ports", ()) and fdp.ConsumeBool():  # a bare number or dict, as CSI comes
        v = value(fdp)
        msg = v if isinstance(v, pmt.pmt_base) else pmt.to_pmt(v)
        if fdp.ConsumeBool():
            msg = pmt.dict_add(pmt.make_dict(), pmt.intern(M.SNR_DB), msg)
    before = blk.stat("errors")
    blk._guard(port, msg)
    if blk.stat("errors") != before:
        raise RuntimeError(f"{blk.name()}: an unexpected exception in the handler (see the log above)")
    # partial work held by the pending blocks, given up now and then (the timeout watcher's path)
    if hasattr(blk, "flush") and fdp.ConsumeIntInRange(0, 7) == 0:
        blk.flush()
        if blk.stat("errors") != before:
            raise RuntimeError(f"{blk.name()}: flush raised")
    if isinstance(blk, jscc.pdu_to_stream):
        with blk._cond:
            blk._queue.clear()  # nothing drains it here
    if isinstance(blk, jscc.slot_scheduler):
        with blk._lock:  # its slot loop is not running here: whole images would pile up
            blk._queue.clear()
            if len(blk._images) > 64:
                blk._images.clear()


def checkpoint():
    """The C++ blocks have handled everything posted to them (their threads still serve); the
    counts so far go to $FUZZ_STATS (libFuzzer ends the process with exit(): no Python exit hooks
    run, so the runner reads the last checkpoint)."""
    t0 = time.monotonic()
    handled = lambda: sum(c.dropped() for c in CPP) + DBG.num_messages()  # noqa: E731
    while handled() < POSTED[0] and time.monotonic() - t0 < 30:
        time.sleep(0.01)
    if handled() < POSTED[0]:
        raise RuntimeError(f"the C++ LDPC PDU blocks handled {handled()} of {POSTED[0]} messages")
    errors = {b.name(): b.stat("errors") for b in BLOCKS if b.stat("errors")}
    if errors:
        raise RuntimeError(f"unexpected handler exceptions: {errors}")
    path = os.environ.get("FUZZ_STATS")
    if path:
        with open(path, "w") as f:
            f.write(f"{N[0]} {sum(b.stat('received') for b in BLOCKS)} {POSTED[0]} {handled()}\n")


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
