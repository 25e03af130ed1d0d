#!/usr/bin/env python3
"""Fuzzing harness for the IQ receive chain: mutated recordings into one running receiver.

A clean recording (OFDM frames of small images from codec_ofdm_tx) is mutated the ways a radio,
a file or a channel damages it (NaN / inf / huge samples and bursts of them, float bit flips,
samples overwritten, segments cut out, repeated or swapped, noise, gain steps, truncation) and
streamed, input after input, into one codec_ofdm_rx + Image Sink, as a receiver that never
restarts would hear them. Properties, after every input: the receiver processes every sample
(no hang: processed_to reaches the end), no message block raised an unexpected exception
("errors" stays 0), and every counter stays consistent.

  tests/fuzz/fuzz_iq.py --seconds 60 [--seed 1]
"""
import argparse
import os
import sys
import time

import numpy as np
import pmt
from gnuradio import gr

from gnuradio import jscc
from gnuradio.jscc import meta as M
from gnuradio.jscc.link.codec_ofdm import codec_ofdm_rx, codec_ofdm_tx

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "images", "kodim23.png")


def recording(n_images=3, size=64):
    """Frames of n small crops of the example image, as a transmitter sends them."""
    from gnuradio import blocks
    from gnuradio.jscc.imageio import load_rgb
    img = load_rgb(EXAMPLE)
    tb = gr.top_block()
    tx = codec_ofdm_tx()
    snk = blocks.vector_sink_c()
    tb.connect(tx, snk)
    tb.start()
    for i in range(n_images):
        crop = np.ascontiguousarray(img[i * size:(i + 1) * size, :size])
        tx.encode._post(pmt.intern("in"), M.image_pdu(crop, M.with_entries(
            pmt.make_dict(), **{M.IMAGE_ID: i, M.FILE: "kodim23.png"})))
    t0 = time.monotonic()
    while not tx.progress(n_images)["done"] and time.monotonic() - t0 < 60:
        time.sleep(0.01)
    tb.stop()
    tb.wait()
    return np.asarray(snk.data(), np.complex64)


SPECIAL = np.array([np.nan, np.inf, -np.inf, 1e30, 1e6, -1e30], np.float32)


def mutate(x, rng):
    x = x.copy()
    for _ in range(rng.integers(1, 6)):
        k = rng.integers(0, 11)
        n = x.size
        if n < 16:
            break
        a = int(rng.integers(0, n))
        if k == 0:  # single special samples
            x[rng.integers(0, n, rng.integers(1, 8))] = SPECIAL[rng.integers(0, SPECIAL.size)]
        elif k == 1:  # a burst of them
            x[a:a + int(rng.integers(1, 400))] = SPECIAL[rng.integers(0, SPECIAL.size)]
        elif k == 2:  # float bit flips
            v = x.view(np.uint32)
            idx = rng.integers(0, v.size, rng.integers(1, 64))
            v[idx] ^= (np.uint32(1) << rng.integers(0, 32, idx.size).astype(np.uint32))
        elif k == 3:  # overwrite with noise
            m = int(rng.integers(1, 2000))
            x[a:a + m] = (rng.standard_normal(min(m, n - a)) * rng.uniform(0.01, 10)).astype(np.float32) * (1 + 1j)
        elif k == 4:  # cut a segment out (lost frames, broken frames)
            x = np.r_[x[:a], x[a + int(rng.integers(1, 8000)):]]
        elif k == 5:  # repeat a segment (duplicated frames, re-delivered images)
            m = int(rng.integers(100, 8000))
            x = np.r_[x[:a + m], x[a:a + m], x[a + m:]]
        elif k == 6:  # truncate
            x = x[:a]
        elif k == 7:  # gain step / clipping
            x[a:] *= np.float32(10 ** rng.uniform(-3, 3))
        elif k == 8:  # AWGN at a random SNR
            s = 10 ** (-rng.uniform(-5, 30) / 20)
            x = x + (s * (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)).astype(np.complex64)
        elif k == 9:  # swap two segments (out-of-order frames)
            m = int(rng.integers(100, 6000))
            b = int(rng.integers(0, n))
            if a + m < n and b + m < n:
                x[a:a + m], x[b:b + m] = x[b:b + m].copy(), x[a:a + m].copy()
        else:  # a CFO jump
            x[a:] *= np.exp(2j * np.pi * rng.uniform(-0.5, 0.5) / 64 * np.arange(n - a)).astype(np.complex64)
    return x.astype(np.complex64)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    gr.logging().set_default_level(gr.log_levels.off)
    rng = np.random.default_rng(a.seed)
    clean = recording()
    tb = gr.top_block()
    src = jscc.pdu_to_stream()
    rx = codec_ofdm_rx(timeout=0.3, names=["kodim23.png"])
    sink = jscc.image_sink("", "", False)
    tb.connect(src, rx)
    tb.msg_connect(rx, "out", sink, "in")
    tb.start()
    blocks_ = [rx.reassemble, rx.fec, rx.decode, sink, src]
    posted, n, t0 = 0, 0, time.monotonic()
    silence = np.zeros(20000, np.complex64)  # between recordings: lets every frame end
    try:
        while time.monotonic() - t0 < a.seconds:
            with np.errstate(all="ignore"):
                x = np.r_[mutate(clean, rng), silence]
            # every recording carries the same image ids: let each be decoded again (a real
            # receiver would call them re-deliveries, tested in tests/test_reliability.py)
            with rx.decode._lock:
                rx.decode._done.clear()
            src._post(pmt.intern("pdus"), pmt.cons(pmt.make_dict(), M.to_pmt(x)))
            posted += x.size
            n += 1
            t1 = time.monotonic()
            while not rx.settled(posted - silence.size):
                if time.monotonic() - t1 > 30:
                    raise RuntimeError(f"input {n}: the receiver stopped at sample {rx.rx.demod.processed_to()} "
                                       f"of {posted} (hang)")
                time.sleep(0.002)
            errors = {b.name(): b.stat("errors") for b in blocks_ if b.stat("errors")}
            if errors:
                raise RuntimeError(f"input {n}: unexpected handler exceptions {errors}")
            st = rx.stats()
            assert st["phy"]["frames"] <= st["phy"]["header_ok"] <= st["phy"]["detected"] + st["phy"]["missed"] + 1
            assert st["reassembly"]["frames"] <= st["framing"]["packets"]
    finally:
        rx.drain(sink)
        tb.stop()
        tb.wait()
    st = rx.stats()
    print(f"fuzz_iq: {n} mutated recordings ({posted / 1e6:.1f} M samples) in {time.monotonic() - t0:.1f} s, "
          f"0 crashes, 0 hangs; frames {st['phy']['frames']}, bad samples {st['phy']['bad_samples']}, "
          f"images {sink.stat('images')}, redelivered {st['decoder']['redelivered']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
