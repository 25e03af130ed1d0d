#!/usr/bin/env python3
"""Evaluate a Deep JSCC model at the model level: onnxruntime + a numpy channel, no GNU Radio.

PSNR (MAX = 255, on the uint8 output) and SSIM per image, averaged over images and channel
realizations. Seeded: the same arguments give the same numbers.

  apps/evaluate.py --model deepjscc-kn6-awgn-10db --channel awgn --snr 1 4 7 10 13 19 \\
      --images ../shared/data/kodak --realizations 10 --json out/eval.json
"""
import argparse
import json
import os
import sys
import zlib

import numpy as np
from tqdm import tqdm

from gnuradio.jscc.channels import sim
from gnuradio.jscc.codecs import DeepJSCC
from gnuradio.jscc.imageio import ImageError, list_images, load_rgb
from gnuradio.jscc.metrics import psnr, ssim
from gnuradio.jscc.models import ModelError

HERE = os.path.dirname(os.path.abspath(__file__))


def evaluate(codec, paths, channel, snrs, realizations, seed, with_ssim=True, progress=True):
    """Returns (results per SNR, per-image rows, skipped files)."""
    per_snr = {s: ([], []) for s in snrs}
    rows, skipped = [], []
    bar = tqdm(total=len(paths) * len(snrs) * realizations, desc="evaluate", disable=not progress, mininterval=2)
    for p in paths:
        try:
            img = load_rgb(p)
        except ImageError as e:
            skipped.append(str(e))
            bar.update(len(snrs) * realizations)
            continue
        x = codec.encode(img)
        for snr in snrs:
            # seeded by file name and SNR: an image gets the same noise in any folder or SNR list
            rng = np.random.default_rng([seed, zlib.crc32(os.path.basename(p).encode()), int(round(snr * 1000)) & 0xFFFFFFFF])
            ps, ss = [], []
            for _ in range(realizations):
                y = codec.decode(sim.apply(channel, x, snr, rng), *img.shape[:2])
                ps.append(psnr(img, y))
                if with_ssim:
                    ss.append(ssim(img, y))
                bar.update(1)
            per_snr[snr][0].extend(ps)
            per_snr[snr][1].extend(ss)
            rows.append({"image": os.path.basename(p), "snr_db": snr, "psnr_db": float(np.mean(ps)),
                         "ssim": float(np.mean(ss)) if ss else None})
    bar.close()
    results = [{"snr_db": s, "psnr_db": round(float(np.mean(v[0])), 3),
                "ssim": round(float(np.mean(v[1])), 4) if v[1] else None} for s, v in per_snr.items() if v[0]]
    return results, rows, skipped


def plot(runs, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for r in runs:
        snr = [x["snr_db"] for x in r["results"]]
        label = f"{r['model']} ({r['channel']}, {r['n_images']} img x {r['realizations']})"
        ax1.plot(snr, [x["psnr_db"] for x in r["results"]], "o-", label=label)
        if all(x["ssim"] is not None for x in r["results"]):
            ax2.plot(snr, [x["ssim"] for x in r["results"]], "o-", label=label)
    for ax, name in ((ax1, "PSNR (dB)"), (ax2, "SSIM")):
        ax.set_xlabel("channel SNR (dB)")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    ax1.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model name (models/<name>) or folder")
    ap.add_argument("--channel", choices=sim.CHANNELS, default="awgn")
    ap.add_argument("--snr", type=float, nargs="+", default=[1, 4, 7, 10, 13, 19], help="SNR(s) in dB")
    ap.add_argument("--images", default=os.path.join(HERE, "..", "examples", "images"), help="folder of images")
    ap.add_argument("--realizations", type=int, default=10, help="channel realizations per image and SNR")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-ssim", action="store_true", help="skip SSIM (faster)")
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--plot", help="PNG of PSNR and SSIM vs SNR (this run plus any --compare JSONs)")
    ap.add_argument("--compare", nargs="*", default=[], help="earlier --json outputs to draw beside this run")
    ap.add_argument("--update-card", action="store_true", help="store the results in the model's model.json")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)
    if a.realizations < 1:
        ap.error("--realizations must be >= 1")

    try:
        codec = DeepJSCC(a.model, a.threads)
    except ModelError as e:
        sys.exit(f"error: {e}")
    paths = list_images(a.images) if os.path.isdir(a.images) else []
    if not paths:
        sys.exit(f"error: no images in {a.images}")
    results, rows, skipped = evaluate(codec, paths, a.channel, a.snr, a.realizations, a.seed, not a.no_ssim)
    for s in skipped:
        print(f"skipped: {s}", file=sys.stderr)
    n_images = len(paths) - len(skipped)

    print(f"{codec.name}  k/n = 1/{codec.kn}  {a.channel}  {n_images} images x {a.realizations} realizations")
    print(f"{'SNR (dB)':>9} {'PSNR (dB)':>10} {'SSIM':>7}")
    for r in results:
        print(f"{r['snr_db']:9.1f} {r['psnr_db']:10.2f} {r['ssim'] if r['ssim'] is not None else float('nan'):7.4f}")

    out = {"model": codec.name, "channel": a.channel, "k_over_n": 1 / codec.kn, "n_images": n_images,
           "realizations": a.realizations, "seed": a.seed, "images": os.path.abspath(a.images),
           "results": results, "per_image": rows}
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    if a.plot:
        runs = [out]
        for path in a.compare:
            with open(path) as f:
                runs.append(json.load(f))
        plot(runs, a.plot)
        print(f"plot: {a.plot}")
    if a.update_card:
        card_path = os.path.join(codec.path, "model.json")
        with open(card_path) as f:
            card = json.load(f)
        entry = card.setdefault("kodak", {}).setdefault(a.channel, {})
        cmd = " ".join(["apps/evaluate.py"] + (argv if argv is not None else sys.argv[1:]))
        entry.update({"n_images": n_images, "seed": a.seed})
        entry.setdefault("commands", [])
        if cmd not in entry["commands"]:
            entry["commands"].append(cmd)
        pts = {str(r["snr_db"]): {"psnr_db": r["psnr_db"], "ssim": r["ssim"], "realizations": a.realizations}
               for r in results}
        entry["results"] = dict(sorted({**entry.get("results", {}), **pts}.items(), key=lambda kv: float(kv[0])))
        snr_train = float(card.get("snr_train_db", float("nan")))
        at_train = {r["image"]: round(r["psnr_db"], 3) for r in rows if r["snr_db"] == snr_train}
        if at_train:  # lets tests check the card on a few images (examples/images) without the full set
            entry["per_image_psnr_at_snr_train"] = at_train
            entry["per_image_realizations"] = a.realizations
        with open(card_path, "w") as f:
            json.dump(card, f, indent=1)
        print(f"updated {card_path}")


if __name__ == "__main__":
    main()
