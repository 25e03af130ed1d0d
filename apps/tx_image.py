#!/usr/bin/env python3
"""Send images with any registered scheme over the OFDM PHY to a radio, a ZMQ peer or an IQ file.

  apps/tx_image.py --zmq tcp://127.0.0.1:5555 --images ../shared/data/kodak --model deepjscc-kn6-awgn-10db
  apps/tx_image.py --file j2k.c64 --images DIR --model jpeg2000 --kn 6 --mcs 16qam-1/2
  apps/tx_image.py --usrp --args type=b200 --freq 2.45e9 --rate 1e6 --gain 60 --image examples/images/kodim23.png
  apps/tx_image.py --hackrf --freq 2.45e9 --rate 2e6 --gain 30 --images DIR --repeat --interval 2

Image ids follow the order of the (sorted) file list, so the receiver's --reference DIR finds each
image's original. Exits 0 once every image is on its way (with --repeat: runs until Ctrl-C).
"""
import argparse
import sys
import time

from gnuradio import gr

from gnuradio.jscc.phy import radio
from gnuradio.jscc.blocks.image_source import add_arguments as add_image_arguments, image_source
from gnuradio.jscc.models import ModelError
from gnuradio.jscc.phy import ofdm
from gnuradio.jscc.link.codec_ofdm import codec_ofdm_tx


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_image_arguments(ap)
    ap.add_argument("--model", default="deepjscc-kn6-awgn-10db", help="model / scheme (models/<name>) or folder")
    ap.add_argument("--kn", type=int, default=0, help="digital schemes: bandwidth ratio k/n = 1/KN for the rate control")
    ap.add_argument("--mcs", default="qpsk-1/2", help="digital schemes: modulation and code rate, e.g. 16qam-2/3")
    ap.add_argument("--engine", default="auto", help="inference engine (python/jscc/engines.py); JSCC_ENGINE overrides")
    ap.add_argument("--snr-db", type=float, help="SNR-adaptive models: the SNR (dB) the transmitter encodes for "
                    "(its CSI); the receiver decodes for its own estimate")
    ap.add_argument("--repeat", action="store_true", help="send the list again and again (needs --interval)")
    ap.add_argument("--interval", type=float, default=0.0, help="seconds between images")
    g = ofdm.add_arguments(ap)
    g.add_argument("--amplitude", type=float, default=None,
                   help="output RMS (default 1.0 for ZMQ/file, 0.25 for radios: OFDM peaks reach ~4x RMS)")
    g.add_argument("--clip-db", type=float, default=0.0, help="clip peaks this far above RMS (0: off)")
    g.add_argument("--gap", type=int, default=64, help="zero samples after each frame")
    radio.add_arguments(ap, default_gain=0.0)
    a = ap.parse_args(argv)

    try:
        kind, out = radio.from_arguments(a, "tx")
    except radio.RadioError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    amplitude = a.amplitude if a.amplitude is not None else (0.25 if kind in ("usrp", "hackrf") else 1.0)
    tb = gr.top_block("jscc_tx_image")
    try:
        source = image_source(a.image or a.images, a.repeat, a.interval)
        tx = codec_ofdm_tx(a.model, ofdm.params_from(a), a.gap, amplitude, a.clip_db, kn=a.kn, mcs=a.mcs, engine=a.engine,
                           snr_db=a.snr_db)
        if tx.codec.snr_input and a.snr_db is None:
            raise ValueError(f"{tx.codec.name} encodes for an SNR: give --snr-db (the transmitter's CSI)")
    except (ModelError, ValueError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    tb.msg_connect(source, "out", tx, "in")
    tb.connect(tx, out)

    stop = radio.stop_on_signals()
    t0 = time.monotonic()
    tb.start()
    frames, since = -1, time.monotonic()
    try:
        while not stop:
            time.sleep(0.1)
            n = tx.tx.frames()
            if n != frames:
                frames, since = n, time.monotonic()
            # done: every image encoded and framed, no new frame for a while, and the radio / ZMQ /
            # file block has taken every sample the modulator made (a receiver that connects late
            # holds the transmitter here instead of losing the tail)
            if source.done() and tx.idle() and time.monotonic() - since > 1.0 and \
                    out.nitems_read(0) >= tx.tx.mod.nitems_written(0):
                time.sleep(0.5)  # ZMQ hands queued messages to its I/O thread
                break
    finally:
        tb.stop()
        tb.wait()
    print(f"sent {source.sent()} images in {tx.tx.frames()} frames over {kind} in {time.monotonic() - t0:.1f} s; "
          f"mean PAPR {tx.tx.papr_db():.1f} dB, clipped {100 * tx.tx.clipped_fraction():.3f} % of samples"
          + (f"; skipped unreadable: {len(source.skipped())}" if source.skipped() else "")
          + (f"; encoder errors: {tx.encode.errors()}" if tx.encode.errors() else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
