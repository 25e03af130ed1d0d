#!/usr/bin/env python3
"""Send images with any registered scheme over the OFDM PHY to a radio, a ZMQ peer or an IQ file.

  apps/tx_image.py --zmq tcp://127.0.0.1:5555 --images ../shared/data/kodak --model deepjscc-kn6-awgn-10db
  apps/tx_image.py --file j2k.c64 --images DIR --model jpeg2000 --kn 6 --mcs 16qam-1/2
  apps/tx_image.py --usrp --args type=b200 --freq 2.45e9 --rate 1e6 --gain 60 --image examples/images/kodim23.png
  apps/tx_image.py --hackrf --freq 2.45e9 --rate 2e6 --gain 30 --images DIR --repeat --interval 2
  apps/tx_image.py --zmq tcp://127.0.0.1:5555 --images DIR --model progressive-hyperprior --mcs adaptive \
      --csi tcp://127.0.0.1:5557     # MCS per chunk from the receiver's CSI (rx_image.py --csi)

Image ids follow the order of the (sorted) file list, so the receiver's --reference DIR finds each
image's original. The transmitter knows what each image costs on the air (the modulator's frame
sizes), so it stops once the radio / ZMQ / file block has taken every sample of every image,
never earlier. "sent" counts images wholly taken. Exits 0 only if every image given was sent
(and, over ZMQ, handed to the peer); otherwise 1 with a one-line reason. With --repeat it runs
until Ctrl-C or --timeout.
"""
import argparse
import collections
import sys
import time

from gnuradio import gr, zeromq

from gnuradio.jscc import cli
from gnuradio.jscc.blocks.image_source import add_arguments as add_image_arguments, image_source
from gnuradio.jscc.imageio import ImageError
from gnuradio.jscc.link.codec_ofdm import codec_ofdm_tx
from gnuradio.jscc.models import ModelError
from gnuradio.jscc.phy import ofdm, radio

WINDOW = 2  # images inside the transmitter at once (memory stays flat on any folder)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_image_arguments(ap)
    ap.add_argument("--model", default="deepjscc-kn6-awgn-10db", help="model / scheme (models/<name>) or folder")
    ap.add_argument("--kn", type=cli.nonneg_int, default=0,
                    help="digital schemes: bandwidth ratio k/n = 1/KN for the rate control (0: the codec's default)")
    ap.add_argument("--mcs", default="qpsk-1/2", help="digital schemes: modulation and code rate, e.g. 16qam-2/3; "
                    "'adaptive': per chunk from the receiver's CSI (needs --csi)")
    ap.add_argument("--policy", help="send the chunks through the Slot Scheduler with this policy (all, groups:K, "
                    "target:PSNR, deadline:SLOTS); implied 'all' by --mcs adaptive")
    ap.add_argument("--slot-symbols", type=cli.positive_int, default=12288, help="channel uses per scheduler slot")
    ap.add_argument("--csi", metavar="ADDR", help="ZMQ address of the receiver's CSI publisher (rx_image.py --csi): "
                    "its per-frame SNR estimates feed the scheduler")
    ap.add_argument("--engine", default="auto", help="inference engine (python/jscc/engines.py); JSCC_ENGINE overrides")
    ap.add_argument("--snr-db", type=cli.finite_float, help="SNR-adaptive models: the SNR (dB) the transmitter "
                    "encodes for (its CSI); the receiver decodes for its own estimate")
    ap.add_argument("--repeat", action="store_true", help="send the list again and again (until Ctrl-C / --timeout)")
    ap.add_argument("--interval", type=cli.nonneg_float, default=0.0, help="seconds between images")
    ap.add_argument("--timeout", type=cli.seconds, default=None,
                    help="give up after this many seconds (default: no limit); what was sent by then is reported")
    g = ofdm.add_arguments(ap)
    g.add_argument("--amplitude", type=cli.positive_float, default=None,
                   help="output RMS (default 1.0 for ZMQ/file, 0.25 for radios: OFDM peaks reach ~4x RMS)")
    g.add_argument("--clip-db", type=cli.nonneg_float, default=0.0, help="clip peaks this far above RMS (0: off)")
    g.add_argument("--gap", type=cli.nonneg_int, default=64, help="zero samples after each frame")
    g.add_argument("--burst", action=argparse.BooleanOptionalAction, default=None,
                   help="one tx_sob/tx_eob burst per frame (default: on for --usrp / --hackrf, off for ZMQ / file)")
    radio.add_arguments(ap, default_gain=0.0)
    a = ap.parse_args(argv)

    policy = a.policy or ("all" if a.mcs == "adaptive" else None)
    if a.mcs == "adaptive" and not a.csi:
        ap.error("--mcs adaptive picks the MCS from the receiver's CSI: give --csi ADDR (rx_image.py --csi)")
    if a.csi and not policy:
        ap.error("--csi feeds the Slot Scheduler: give --mcs adaptive or --policy")
    kind = radio.kind_of(a)
    burst = a.burst if a.burst is not None else kind in ("usrp", "hackrf")
    amplitude = a.amplitude if a.amplitude is not None else (0.25 if kind in ("usrp", "hackrf") else 1.0)
    try:
        source = image_source(a.image or a.images, a.repeat, a.interval, window=WINDOW)
        kind, out = radio.from_arguments(a, "tx", burst)  # first: a missing radio is reported at once
        tx = codec_ofdm_tx(a.model, ofdm.params_from(a), a.gap, amplitude, a.clip_db, kn=a.kn, mcs=a.mcs,
                           engine=a.engine, burst=burst, snr_db=a.snr_db, policy=policy, slot_symbols=a.slot_symbols)
        # the receiver's CSI comes back over ZMQ (GNU Radio's PUB/SUB message blocks: PMTs as they are)
        csi = zeromq.sub_msg_source(a.csi, 100, False) if a.csi else None
        if tx.codec.snr_input and a.snr_db is None:
            raise ValueError(f"{tx.codec.name} encodes for an SNR: give --snr-db (the transmitter's CSI)")
    except (ModelError, ValueError, RuntimeError, ImageError, radio.RadioError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    # back-pressure: the next image is read only when the transmitter has room for it
    source.set_in_flight(lambda: tx.in_flight(source.sent()), WINDOW)
    tb = gr.top_block("jscc_tx_image")
    tb.msg_connect(source, "out", tx, "in")
    tb.connect(tx, out)
    if csi is not None:
        tb.msg_connect(csi, "out", tx, "csi")

    stop = radio.stop_on_signals()
    t0 = time.monotonic()
    why = None
    tb.start()
    try:
        while True:
            p = tx.progress(source.sent(), out.nitems_read(0))
            if source.done() and p["done"]:
                break
            if stop:
                why = "interrupted"
                break
            if a.timeout and time.monotonic() - t0 > a.timeout:
                why = f"--timeout {a.timeout:g} s reached"
                break
            time.sleep(0.02)
    finally:
        taken = out.nitems_read(0)
        tb.stop()
        tb.wait()
    delivered = True
    if isinstance(out, radio.zmq_push_sink):
        # the last samples wait in ZMQ until a peer takes them: keep them until one does
        left = None if a.timeout is None else max(a.timeout - (time.monotonic() - t0), 1.0)
        delivered = out.close(left, stop)
    p = tx.progress(source.sent(), taken)
    given = source.sent() + len(source.skipped()) if a.repeat else source.given()
    print(f"sent {p['sent']} of {given} images in {p['frames_sent']} frames over {kind} in "
          f"{time.monotonic() - t0:.1f} s; mean PAPR {tx.tx.papr_db():.1f} dB, clipped "
          f"{100 * tx.tx.clipped_fraction():.3f} % of samples"
          + ("; burst mode" if burst else "")
          + (f"; skipped unreadable: {len(source.skipped())}" if source.skipped() else "")
          + (f"; refused by the encoder: {p['refused']}" if p["refused"] else ""))
    if tx.scheduler is not None:
        used = collections.Counter(m or "analog" for *_, m in tx.scheduler.log)
        print(f"scheduler ({policy}): {tx.scheduler.stats()['slots']} slots, {tx.scheduler.stats()['csi']} CSI "
              f"messages; chunks per MCS: " + ", ".join(f"{m} {n}" for m, n in sorted(used.items())))
    if kind == "zmq":
        print("ZMQ: " + ("every sample was handed to the peer (ZMQ has no receipt: the receiver's count confirms "
                         "delivery)" if delivered else "the last samples were not taken by any peer"))
    reasons = []
    if why:
        reasons.append(f"{why} with {p['pending']} images not wholly sent")
    if source.skipped():
        reasons.append(f"{len(source.skipped())} unreadable")
    if p["refused"]:
        reasons.append(f"{p['refused']} refused by the encoder")
    if p["chunks_lost"]:
        reasons.append(f"{p['chunks_lost']} chunks dropped in the transmitter")
    if not delivered:
        reasons.append("the ZMQ peer did not take the last samples")
    if a.repeat and why:
        reasons = reasons[1:]  # with --repeat, Ctrl-C or --timeout is how it ends
    if reasons or (not a.repeat and p["sent"] < given):
        print(f"error: {p['sent']} of {given} images sent: " + "; ".join(reasons or ["not all sent"]),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
