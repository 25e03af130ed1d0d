#!/usr/bin/env python3
"""Receive images of any registered scheme over the OFDM PHY from a radio, a ZMQ peer or an IQ file
(the scheme's MCS comes with every frame header: only --model must match the sender).

  apps/rx_image.py --zmq tcp://127.0.0.1:5556 --model deepjscc-kn6-awgn-10db --out out/rx \\
      --reference ../shared/data/kodak --expect 24 --timeout 240
  apps/rx_image.py --usrp --args type=b200 --freq 2.45e9 --rate 1e6 --gain 30 --out out/rx
  apps/rx_image.py --zmq tcp://127.0.0.1:5556 --model progressive-hyperprior --csi tcp://127.0.0.1:5557
      # publishes each frame's SNR estimate for tx_image.py --mcs adaptive --csi

Writes each image (PNG) as soon as it is complete (or its fragments timed out: lost ones are
zero-filled and reported). With --reference (the sender's file or folder, listed as the sender
lists it; image id = position) prints PSNR/SSIM per image. A replayed --file ends once every
sample of the recording is demodulated. Images still partial when it stops (Ctrl-C, --timeout,
the recording's end) are decoded and written first. Exits 0 once --expect images are written
(without --expect: when it stops, if images came and none is known lost), otherwise 1 with a
one-line reason, printing received/expected, the mean PSNR and the frame statistics.
"""
import argparse
import os
import sys
import time

import numpy as np
from gnuradio import gr, zeromq

from gnuradio.jscc import cli
from gnuradio.jscc.blocks.image_sink import image_sink
from gnuradio.jscc.blocks.image_source import file_names
from gnuradio.jscc.imageio import ImageError
from gnuradio.jscc.link.codec_ofdm import codec_ofdm_rx
from gnuradio.jscc.models import ModelError
from gnuradio.jscc.phy import ofdm, radio


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="deepjscc-kn6-awgn-10db", help="model / scheme (models/<name>) or folder")
    ap.add_argument("--engine", default="auto", help="inference engine (python/jscc/engines.py); JSCC_ENGINE overrides")
    ap.add_argument("--out", default="out/rx", help="folder for the received PNGs and metrics.csv")
    ap.add_argument("--reference", default="", help="the transmitted image file or folder, for PSNR/SSIM")
    ap.add_argument("--expect", type=cli.positive_int, default=None,
                    help="exit once this many images are in (0 if they all came, 1 otherwise)")
    ap.add_argument("--timeout", type=cli.seconds, default=None, help="give up after this many seconds (default: no limit)")
    ap.add_argument("--stats-every", type=cli.nonneg_float, default=10.0,
                    help="print the frame counters every this many seconds while running (0: only at the end)")
    ap.add_argument("--image-timeout", type=cli.seconds, default=2.0,
                    help="send an incomplete image this long after its last fragment")
    g = ofdm.add_arguments(ap)
    g.add_argument("--equalizer", choices=("zf", "mmse"), default="zf")
    g.add_argument("--threshold", type=cli.open_fraction, default=0.2, help="frame detection threshold (0..1)")
    ap.add_argument("--csi", metavar="ADDR", help="publish each frame's SNR estimate (CSI) on this ZMQ address "
                    "(bound here) for the transmitter's scheduler (tx_image.py --csi)")
    radio.add_arguments(ap, default_gain=20.0)
    a = ap.parse_args(argv)

    names = []
    if a.reference:
        try:
            names = file_names(a.reference)  # the sender's listing rule: image id = position
        except ImageError as e:
            ap.error(f"--reference: {e}")
        if not names:
            ap.error(f"--reference {a.reference}: no images there")
    try:
        kind, src = radio.from_arguments(a, "rx")
        rx = codec_ofdm_rx(a.model, ofdm.params_from(a), a.equalizer, a.threshold, a.image_timeout, names, engine=a.engine)
        sink = image_sink(a.out, os.path.dirname(a.reference) if os.path.isfile(a.reference) else a.reference,
                          True, os.path.join(a.out, "metrics.csv"))
    except (ModelError, ValueError, RuntimeError, radio.RadioError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    tb = gr.top_block("jscc_rx_image")
    tb.connect(src, rx)
    tb.msg_connect(rx, "out", sink, "in")
    if a.csi:
        try:
            csi = zeromq.pub_msg_sink(a.csi, 100, True)
        except RuntimeError as e:
            print(f"error: --csi {a.csi}: {e}", file=sys.stderr)
            return 2
        tb.msg_connect(rx, "csi", csi, "in")

    stop = radio.stop_on_signals()
    t0 = time.monotonic()
    tb.start()
    shown, why = 0, None
    try:
        next_stats = time.monotonic() + a.stats_every
        while True:
            if a.stats_every and time.monotonic() >= next_stats:
                next_stats += a.stats_every
                print(f"[{time.monotonic() - t0:.0f} s] frames: {rx.stats()['phy']}", flush=True)
            sink.wait(shown + 1, 0.1)
            res = sink.results()
            for r in res[shown:]:
                print(f"image {r.get('image_id')} ({r.get('file', '?')}): "
                      + (f"PSNR {r['psnr_db']:.2f} dB, SSIM {r.get('ssim', float('nan')):.4f}; " if "psnr_db" in r else "")
                      + f"{r.get('png', '')}", flush=True)
            shown = len(res)
            if a.expect and shown >= a.expect:
                break
            # a replay is over once every sample of the recording has been demodulated and every
            # frame handled (counted, not guessed from a quiet spell)
            if kind == "file" and src.finished() and rx.settled(src.n_items):
                why = "the recording ended"
                break
            if stop:
                why = "interrupted"
                break
            if a.timeout and time.monotonic() - t0 > a.timeout:
                why = f"--timeout {a.timeout:g} s reached"
                break
    finally:
        # partial chunks and images still pending are decoded and written before the flowgraph stops
        rx.drain(sink)
        tb.stop()
        tb.wait()
    res = sink.results()
    for r in res[shown:]:
        print(f"image {r.get('image_id')} ({r.get('file', '?')}): " + (f"PSNR {r['psnr_db']:.2f} dB; " if "psnr_db" in r
                                                                    else "") + f"{r.get('png', '')}", flush=True)
    ps = [r["psnr_db"] for r in res if "psnr_db" in r]
    st = rx.stats()
    lost = st["decoder"]["missing_images"]
    print(f"received {len(res)}/{a.expect or '?'} images in {time.monotonic() - t0:.1f} s"
          + (f"; mean PSNR: {np.mean(ps):.2f} dB" if ps else "")
          + (f"; {lost} images lost whole (their ids never arrived)" if lost else "")
          + (f"; {st['reassembly']['lost_frames']} frames lost" if st["reassembly"]["lost_frames"] else ""))
    print(f"frames: {st['phy']}; reassembly: {st['reassembly']}; fec: {st['fec']}; decoder: {st['decoder']}; "
          f"sink: {sink.stats()}")
    if a.expect and len(res) < a.expect:
        print(f"error: {len(res)} of {a.expect} expected images ({why or 'stopped'})", file=sys.stderr)
        return 1
    if not a.expect and (not res or lost):
        print(f"error: {len(res)} images received" + (f", {lost} lost whole" if lost else "") + f" ({why})",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
