#!/usr/bin/env python3
"""Speed of Deep JSCC here: onnxruntime vs PyTorch eager encode+decode, and the GNU Radio loopback.

  apps/benchmark.py --json docs/results/benchmark.json

ort_ms / torch_ms: median encode+decode milliseconds per image over the images (Kodak 768x512
when ../shared/data/kodak exists, else examples/images), several passes, first pass (warm-up)
excluded, both measured in this run with the same thread count, taking turns image by image.
loopback_*: the GNU Radio flowgraph image source -> encoder -> AWGN -> decoder -> sink (PSNR, no SSIM, no PNG writing),
timed from start until the last image arrived. ofdm_loopback_msps: OFDM TX + AWGN + OFDM RX in one
flowgraph (complex samples per second through the channel, median of --ofdm-runs runs of 20 M
samples by default, FFT 64, CP 16).
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from gnuradio.jscc.codecs import DeepJSCC
from gnuradio.jscc.imageio import list_images, load_rgb
from gnuradio.jscc.loopback import deepjscc_loopback
from gnuradio.jscc.phy_eval import loopback_rate

HERE = os.path.dirname(os.path.abspath(__file__))
KODAK = os.path.join(HERE, "..", "..", "shared", "data", "kodak")


def time_per_image(fns, images, passes):
    """Median milliseconds per image for each function. The functions take turns on every image,
    so a shared machine's slow and fast spells fall on all of them alike."""
    times = [[] for _ in fns]
    for p in range(passes + 1):
        for img in images:
            for fn, t in zip(fns, times):
                t0 = time.perf_counter()
                fn(img)
                if p:  # pass 0 is the warm-up
                    t.append((time.perf_counter() - t0) * 1000)
    return [float(np.median(t)) for t in times]


def torch_fn(codec, threads):
    try:
        import torch
        from gnuradio.jscc.training.channels import AWGN
        from gnuradio.jscc.training.deepjscc import DeepJSCC as TorchDeepJSCC
    except ImportError:
        return None
    torch.set_num_threads(threads)
    w = torch.load(os.path.join(codec.path, "weights.pt"), weights_only=False)
    m = TorchDeepJSCC(w["c"], AWGN(10)).eval()
    m.load_state_dict(w["model"])

    def run(img):
        with torch.inference_mode():
            x = torch.from_numpy(img.transpose(2, 0, 1)[None].astype(np.float32))
            return m.decoder(m.encoder(x)).numpy()
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="deepjscc-kn6-awgn-10db")
    ap.add_argument("--images", default=KODAK if os.path.isdir(KODAK) else os.path.join(HERE, "..", "examples", "images"))
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="threads for onnxruntime and PyTorch alike")
    ap.add_argument("--loopback-images", type=int, default=48)
    ap.add_argument("--ofdm-runs", type=int, default=3)
    ap.add_argument("--ofdm-samples", type=float, default=20e6, help="samples per OFDM loopback run")
    ap.add_argument("--json")
    a = ap.parse_args(argv)

    paths = list_images(a.images)
    if not paths:
        sys.exit(f"error: no images in {a.images}")
    images = [load_rgb(p) for p in paths]
    codec = DeepJSCC(a.model, a.threads)
    ort = lambda img: codec.decode(codec.encode(img), *img.shape[:2])  # noqa: E731
    tf = torch_fn(codec, a.threads)
    ms = time_per_image([ort, tf] if tf else [ort], images, a.passes)
    ort_ms, torch_ms = ms[0], (ms[1] if tf else None)
    print(f"onnxruntime encode+decode: {ort_ms:.1f} ms/image (median, {len(images)} images x {a.passes} passes)")
    print(f"PyTorch eager encode+decode: {torch_ms:.1f} ms/image (turn about with onnxruntime)" if torch_ms
          else "PyTorch not installed: torch_ms null")

    loop_paths = (paths * (a.loopback_images // len(paths) + 1))[:a.loopback_images]
    tb = deepjscc_loopback(loop_paths, a.model, "awgn", 10.0, seed=1, reference=a.images, compute_ssim=False,
                           threads=a.threads)
    results, secs = tb.run_images()
    n_sym = sum(codec.n_symbols(*im.shape[:2]) for im in (images * (a.loopback_images // len(images) + 1))[:a.loopback_images])
    ips, msps = len(results) / secs, n_sym / secs / 1e6
    print(f"GNU Radio loopback: {len(results)} images in {secs:.2f} s = {ips:.1f} images/s, {msps:.2f} Msym/s "
          f"(mean PSNR {np.mean([r['psnr_db'] for r in results]):.2f} dB)")

    rates = []
    for _ in range(a.ofdm_runs):
        rate, st = loopback_rate(int(a.ofdm_samples))
        rates.append(rate)
        if st["frames"] < st["detected"] - 1 or st["frames"] == 0:  # head cuts the last frame short
            print(f"warning: OFDM loopback lost frames: {st}", file=sys.stderr)
    ofdm_msps = float(np.median(rates)) / 1e6
    print(f"OFDM loopback (TX + AWGN + RX, one flowgraph): {ofdm_msps:.1f} Msps "
          f"(median of {a.ofdm_runs}: {', '.join(f'{r / 1e6:.1f}' for r in rates)})")

    out = {"ort_ms": round(ort_ms, 2), "torch_ms": round(torch_ms, 2) if torch_ms else None,
           "loopback_images_per_s": round(ips, 2), "loopback_msym_per_s": round(msps, 3),
           "ofdm_loopback_msps": round(ofdm_msps, 2),
           "model": codec.name, "images": os.path.abspath(a.images), "n_images": len(images),
           "image_size": f"{images[0].shape[1]}x{images[0].shape[0]}", "passes": a.passes, "threads": a.threads,
           "loopback_images": len(results), "cpu": platform.processor() or platform.machine(),
           "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
