#!/usr/bin/env python3
"""Simulated radio channel between two processes: ZMQ PULL in -> impairments -> ZMQ PUSH out.

  apps/channel_sim.py --in tcp://127.0.0.1:5555 --out tcp://127.0.0.1:5556 --channel awgn --snr 15
  apps/channel_sim.py ... --channel multipath --rms-delay 2 --cfo 0.2 --timing 0.3 --sro-ppm 20

With tx_image.py and rx_image.py this makes the over-the-air link on one machine. Runs until
Ctrl-C / SIGTERM (or --duration seconds), then prints how many samples it passed. Its output
queues only a few messages: with no receiver pulling it holds the transmitter back instead of
dropping samples; on stop it hands what it holds to the receiver if one is there.
"""
import argparse
import sys
import time

from gnuradio import gr

from gnuradio.jscc import cli
from gnuradio.jscc.phy import radio
from gnuradio.jscc.channels.channel_sim import KINDS, channel_sim, impairments_from
from gnuradio.jscc.channels.channel_sim import add_arguments as add_impairment_arguments


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--in", dest="inp", required=True, help="ZMQ address of the transmitter (PUSH)")
    ap.add_argument("--out", required=True, help="ZMQ address to serve the receiver on (PUSH, bound)")
    ap.add_argument("--channel", choices=KINDS, default="awgn")
    ap.add_argument("--snr", type=cli.finite_float, default=20.0, help="SNR per sample (dB) against --signal-power")
    ap.add_argument("--signal-power", type=cli.positive_float, default=1.0,
                    help="the transmitter's mean power (amplitude^2)")
    ap.add_argument("--fft-len", type=cli.power_of_two, default=64, help="OFDM FFT size (for --cfo)")
    add_impairment_arguments(ap)
    ap.add_argument("--seed", type=cli.nonneg_int, default=1, help="noise seed (0: random)")
    ap.add_argument("--duration", type=cli.seconds, default=None, help="stop after this many seconds (default: run until stopped)")
    a = ap.parse_args(argv)

    tb = gr.top_block("jscc_channel_sim")
    try:
        ch = channel_sim(a.channel, a.snr, fft_len=a.fft_len, signal_power=a.signal_power, seed=a.seed,
                         **impairments_from(a))
        src = radio.source("zmq", a.inp)
        snk = radio.sink("zmq", a.out)
    except (ValueError, radio.RadioError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    tb.connect(src, ch, snk)
    stop = radio.stop_on_signals()
    t0 = time.monotonic()
    tb.start()
    print(f"channel {a.channel} at {a.snr:g} dB: {a.inp} -> {a.out}", flush=True)
    try:
        while not stop and not (a.duration and time.monotonic() - t0 > a.duration):
            time.sleep(0.1)
        # stopping: pass on what the channel already holds (a receiver that is there takes it)
        t_end = time.monotonic() + 2.0
        while snk.nitems_read(0) < ch.noise.nitems_written(0) and time.monotonic() < t_end:
            time.sleep(0.02)
    finally:
        tb.stop()
        tb.wait()
    handed = snk.close(2.0, stop=[])
    print(f"stopped after {time.monotonic() - t0:.1f} s, {ch.noise.nitems_written(0)} samples passed"
          + ("" if handed else "; the receiver did not take the last of them"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
