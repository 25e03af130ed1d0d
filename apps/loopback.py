#!/usr/bin/env python3
"""Send images through a GNU Radio loopback (source -> codec encoder -> channel -> decoder -> sink),
for any registered scheme, directly on symbols or through the full OFDM PHY.

  apps/loopback.py --image examples/images/kodim23.png --model deepjscc-kn6-awgn-10db \\
      --channel awgn --snr 1 7 19 --out out/demo
  apps/loopback.py --phy ofdm --model jpeg2000 --fec ldpc --mcs qpsk-1/2 --kn 6 --images DIR \\
      --channel awgn --snr 6 --out out/j2k

Writes <out>/snr_<S>dB/*.png and metrics.csv per SNR, and <out>/compare_<image>.png
(original | received at each SNR, with PSNR/SSIM). Prints "mean PSNR: xx.xx dB" per SNR.
A run ends when every image is through the link, decided on the blocks' counts. Exits 0 only if
every image given arrived at every SNR; otherwise 1 with a one-line reason per SNR.
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gnuradio.jscc import cli
from gnuradio.jscc.blocks.image_source import add_arguments as add_image_arguments
from gnuradio.jscc.imageio import ImageError, load_rgb
from gnuradio.jscc.phy import ofdm
from gnuradio.jscc.channels.channel_sim import KINDS, impairments_from
from gnuradio.jscc.channels.channel_sim import add_arguments as add_impairment_arguments
from gnuradio.jscc.coding import mcs as mcs_table
from gnuradio.jscc.link.loopback import CHANNELS, codec_loopback, codec_ofdm_loopback
from gnuradio.jscc.models import ModelError


def side_by_side(original, received, path):
    """original | received at each SNR, labelled with SNR, PSNR and SSIM."""
    tiles = [(original, "original")] + received
    h, w = original.shape[:2]
    try:
        font = ImageFont.load_default(size=max(12, w // 32))
    except TypeError:  # Pillow < 10.1: fixed small bitmap font
        font = ImageFont.load_default()
    bar = max(24, w // 20)
    canvas = Image.new("RGB", (w * len(tiles), h + bar), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (img, label) in enumerate(tiles):
        canvas.paste(Image.fromarray(img), (i * w, bar))
        draw.text((i * w + 6, bar // 6), label, fill="black", font=font)
    canvas.save(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_image_arguments(ap)
    ap.add_argument("--model", default="deepjscc-kn6-awgn-10db", help="model / scheme (models/<name>) or folder")
    d = ap.add_argument_group("digital schemes (image codec + CRC + LDPC + QAM)")
    d.add_argument("--kn", type=cli.nonneg_int, default=0,
                   help="bandwidth ratio k/n = 1/KN: the rate control's channel uses (0: the codec's default)")
    d.add_argument("--fec", choices=("ldpc", "none"), default="ldpc", help="none: uncoded QAM (CRC still checked)")
    d.add_argument("--mcs", default="qpsk-1/2",
                   help="modulation and code rate, e.g. 16qam-2/3; 'adaptive' (with --phy ofdm): per chunk from "
                        "the receiver's SNR estimates through the slot scheduler")
    d.add_argument("--policy", help="send the chunks through the slot scheduler with this policy (all, groups:K, "
                                    "target:PSNR, deadline:SLOTS); implied 'all' by --mcs adaptive")
    d.add_argument("--slot-symbols", type=cli.positive_int, default=12288, help="channel uses per scheduler slot")
    ap.add_argument("--channel", choices=sorted(set(CHANNELS) | set(KINDS)), default="awgn",
                    help="direct path: awgn, rayleigh (one h per image, known phase); "
                         "ofdm: awgn, block-fading (a fresh h every --fading-block samples), rayleigh-doppler "
                         "(Clarke fading at --doppler-hz for --samp-rate), multipath, none")
    ap.add_argument("--phy", choices=("direct", "ofdm"), default="direct",
                    help="direct: symbols straight into the channel; ofdm: the full OFDM PHY")
    g = ofdm.add_arguments(ap)  # used with --phy ofdm
    g.add_argument("--equalizer", choices=("zf", "mmse"), default="zf")
    g.add_argument("--clip-db", type=cli.nonneg_float, default=0.0, help="TX clipping level above RMS (0: off)")
    add_impairment_arguments(ap)
    ap.add_argument("--snr", type=cli.finite_float, nargs="+", default=[10.0], help="SNR(s) in dB, one run each")
    ap.add_argument("--seed", type=cli.positive_int, default=1,
                    help="channel seed > 0 (run i uses seed + i; 0 would mean a random seed in the channel blocks)")
    ap.add_argument("--out", default="out/loopback")
    ap.add_argument("--no-ssim", action="store_true")
    ap.add_argument("--timeout", type=cli.seconds, help="seconds per SNR run (default 30 + 5 per image)")
    ap.add_argument("--json", help="write the per-SNR means, settings and link statistics here")
    ap.add_argument("--engine", default="auto", help="inference engine (python/jscc/engines.py); JSCC_ENGINE overrides")
    a = ap.parse_args(argv)
    policy = a.policy or ("all" if a.mcs == "adaptive" else None)
    if policy and a.phy != "ofdm":
        ap.error("the slot scheduler (--policy, --mcs adaptive) runs over the OFDM PHY: add --phy ofdm")
    if a.mcs == "adaptive":
        mcs = "adaptive"
    else:
        mcs = a.mcs if a.fec == "ldpc" else a.mcs.split("-")[0] + "-uncoded"
        try:
            mcs = mcs_table.parse(mcs).name
        except ValueError as e:
            ap.error(str(e))
    channel = a.channel
    if a.phy == "ofdm" and channel == "rayleigh":
        channel = "rayleigh-doppler"  # over the PHY, Rayleigh fading varies with the Doppler (Clarke)
    images = a.image or a.images
    reference = images

    received = {}
    means = []
    summary = []
    failures = []
    for i, snr in enumerate(a.snr):
        out_dir = os.path.join(a.out, f"snr_{snr:g}dB")
        try:
            if a.phy == "ofdm":
                tb = codec_ofdm_loopback(
                    images, a.model, channel, snr, a.seed + i, out_dir, reference, not a.no_ssim,
                    params=ofdm.params_from(a), equalizer=a.equalizer, clip_db=a.clip_db, kn=a.kn, mcs=mcs,
                    engine=a.engine, policy=policy, slot_symbols=a.slot_symbols, **impairments_from(a))
            else:
                if a.channel not in CHANNELS:
                    ap.error(f"--channel {a.channel} needs --phy ofdm")
                if any((a.cfo, a.timing, a.delay, a.sro_ppm, a.phase_noise)):
                    ap.error("--cfo, --timing, --delay, --sro-ppm and --phase-noise need --phy ofdm")
                tb = codec_loopback(images, a.model, a.channel, snr, a.seed + i, out_dir, reference, not a.no_ssim,
                                    kn=a.kn, mcs=mcs, engine=a.engine)
        except (ModelError, ValueError, RuntimeError) as e:
            sys.exit(f"error: {e}")
        try:
            results, secs = tb.run_images(a.timeout)
        except TimeoutError as e:
            sys.exit(f"error: {e}")
        skipped = tb.source.skipped()
        given, refused = tb.source.given(), tb.tx.encode.errors()
        if len(results) < given:
            failures.append(f"{snr:g} dB: {len(results)} of {given} images arrived ("
                            + ", ".join(x for x in (f"{len(skipped)} unreadable" if skipped else "",
                                                    f"{refused} refused by the encoder" if refused else "",
                                                    f"{tb.lost()} lost on the link" if tb.lost() else "") if x)
                            + ")")
        stats = tb.decoder.stats() if a.phy == "direct" else tb.rx.stats()
        if a.phy == "ofdm":
            stats["tx"] = dict(frames=tb.tx.tx.frames(), papr_db=round(tb.tx.tx.papr_db(), 2),
                               clipped_fraction=tb.tx.tx.clipped_fraction())
        print(f"--- {a.phy} {a.channel} {snr:g} dB: {len(results)} images in {secs:.1f} s; stats: {stats}"
              + (f"; skipped unreadable: {len(skipped)}" if skipped else ""))
        for r in sorted(results, key=lambda r: r["image_id"]):
            print(f"  {r.get('file')}: PSNR {r.get('psnr_db', float('nan')):.2f} dB"
                  + (f", SSIM {r['ssim']:.4f}" if "ssim" in r else ""))
            received.setdefault(r.get("file"), []).append((r, snr))
        ps = [r["psnr_db"] for r in results if "psnr_db" in r]
        ss = [r["ssim"] for r in results if "ssim" in r]
        mean = float(np.mean(ps)) if ps else float("nan")
        means.append(mean)
        summary.append(dict(snr_db=snr, n_images=len(results), n_given=tb.source.given(), psnr_db=round(mean, 3),
                            ssim=round(float(np.mean(ss)), 5) if ss else None, seconds=round(secs, 2), stats=stats))
        dec = stats if a.phy == "direct" else stats["decoder"]
        fails = dec.get("decode_failed", 0)
        summary[-1]["decode_failures"] = fails
        print(f"SNR {snr:g} dB: mean PSNR: {mean:.2f} dB" + (f", mean SSIM: {np.mean(ss):.4f}" if ss else "")
              + f"; decode failures: {fails} of {len(results)}")

    stems = [os.path.splitext(n)[0] for n in received]
    for name, runs in received.items():
        stem = os.path.splitext(name)[0]
        # photo.jpg and photo.png must not share one comparison picture
        label = stem if stems.count(stem) == 1 else name.replace(".", "_")
        try:
            original = load_rgb(os.path.join(a.images, name) if a.images else a.image)
            tiles = [(load_rgb(r["png"]), f"{snr:g} dB: {r.get('psnr_db', float('nan')):.2f} dB"
                      + (f" / {r['ssim']:.3f}" if "ssim" in r else "")) for r, snr in runs]
        except ImageError as e:
            print(f"no comparison picture for {name}: {e}", file=sys.stderr)
            continue
        path = os.path.join(a.out, f"compare_{label}.png")
        side_by_side(original, tiles, path)
        print(f"comparison: {path}")
    if len(a.snr) > 1:
        print("mean PSNR: " + ", ".join(f"{m:.2f} dB @ {s:g} dB" for m, s in zip(means, a.snr)))
    if a.json:
        settings = {k: v for k, v in vars(a).items() if k not in ("json", "out")}
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(dict(command="apps/loopback.py " + " ".join(sys.argv[1:]), settings=settings, results=summary),
                      f, indent=1, default=str)
    if failures:
        print("error: not every image arrived: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
