#!/usr/bin/env python3
"""Simulated radio channel between two processes: ZMQ PULL in -> impairments -> ZMQ PUSH out.

  apps/channel_sim.py --in tcp://127.0.0.1:5555 --out tcp://127.0.0.1:5556 --channel awgn --snr 15
  apps/channel_sim.py ... --channel multipath --rms-delay 2 --cfo 0.2 --timing 0.3 --sro-ppm 20

With tx_image.py and rx_image.py this makes the over-the-air link on one machine. Runs until
Ctrl-C / SIGTERM (or --duration seconds), then prints how many samples it passed.
"""
import argparse
import sys
import time

from gnuradio import gr

from gnuradio.jscc.phy import radio
from gnuradio.jscc.channels.channel_sim import KINDS, channel_sim, impairments_from
from gnuradio.jscc.channels.channel_sim import add_arguments as add_impairment_arguments


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--in", dest="inp", required=True, help="ZMQ address of the transmitter (PUSH)")
    ap.add_argument("--out", required=True, help="ZMQ address to serve the receiver on (PUSH, bound)")
    ap.add_argument("--channel", choices=KINDS, default="awgn")
    ap.add_argument("--snr", type=float, default=20.0, help="SNR per sample (dB) against --signal-power")
    ap.add_argument("--signal-power", type=float, default=1.0, help="the transmitter's mean power (amplitude^2)")
    ap.add_argument("--fft-len", type=int, default=64, help="OFDM FFT size (for --cfo)")
    add_impairment_arguments(ap)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration", type=float, default=0.0, help="stop after this many seconds (0: run until stopped)")
    a = ap.parse_args(argv)

    tb = gr.top_block("jscc_channel_sim")
    try:
        ch = channel_sim(a.channel, a.snr, fft_len=a.fft_len, signal_power=a.signal_power, seed=a.seed,
                         **impairments_from(a))
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    src = radio.source("zmq", a.inp)
    snk = radio.sink("zmq", a.out)
    tb.connect(src, ch, snk)
    stop = radio.stop_on_signals()
    t0 = time.monotonic()
    tb.start()
    print(f"channel {a.channel} at {a.snr:g} dB: {a.inp} -> {a.out}", flush=True)
    try:
        while not stop and not (a.duration and time.monotonic() - t0 > a.duration):
            time.sleep(0.1)
    finally:
        tb.stop()
        tb.wait()
    print(f"stopped after {time.monotonic() - t0:.1f} s, {ch.noise.nitems_written(0)} samples passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
