#!/usr/bin/env python3
"""Soak: push many images through the GNU Radio loopback and report memory and losses.

  apps/soak.py --images examples/images --count 5000 --phy direct ofdm --json out/soak.json

Each PHY path sends --count images (the folder's images over and over) through the loopback
(Image Source -> codec -> channel -> decoder -> Image Sink, with the apps' back-pressure) at
--snr dB. The process's resident memory (RSS) is sampled as the images arrive: at the start, at
image --warmup (default count / 10: caches and buffers are warm by then) and at the end. Prints
per path: images sent / received / lost, seconds, RSS at the three points. Exits 0 only if no
image was lost on any path and RSS grew by at most --max-growth-mb from the warm-up image to the
last one; otherwise 1 with a one-line reason per path.
"""
import argparse
import json
import os
import resource
import sys
import threading

from tqdm import tqdm

from gnuradio.jscc import cli
from gnuradio.jscc.imageio import ImageError, list_images
from gnuradio.jscc.link.loopback import codec_loopback, codec_ofdm_loopback
from gnuradio.jscc.models import ModelError


def rss_mb():
    """Resident memory of this process now (Linux /proc; elsewhere the peak, an upper bound)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def soak(phy, paths, reference, a):
    """One path: run a.count images, sampling RSS as they arrive. -> dict of the figures."""
    kw = dict(seed=1, reference=reference, compute_ssim=False)
    tb = (codec_ofdm_loopback if phy == "ofdm" else codec_loopback)(paths, a.model, "awgn", a.snr, **kw)
    warmup = a.warmup if a.warmup is not None else max(1, a.count // 10)
    marks = {"start": rss_mb()}
    stop = threading.Event()

    def sample():  # the RSS when the warm-up image is through: woken by the sink as it arrives
        bar = tqdm(total=len(paths), desc=f"soak {phy}", unit="img", mininterval=2, file=sys.stderr)
        while True:  # (polling missed it when a short run ended between two polls)
            if "warmup" not in marks and tb.sink.wait(warmup, 0.05):
                marks["warmup"] = rss_mb()
            bar.update(tb.sink.count_received() - bar.n)
            if stop.is_set():
                break
            if "warmup" in marks:
                stop.wait(1.0)
        bar.close()
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    try:
        results, secs = tb.run_images(a.timeout)
        error = None
    except TimeoutError as e:
        results, secs, error = tb.sink.results(), a.timeout, str(e)
    finally:
        stop.set()
        th.join()
    marks["end"] = rss_mb()
    reached = "warmup" in marks
    marks.setdefault("warmup", marks["end"])  # the warm-up image never came: no growth measured
    sent, received = tb.source.sent(), len(results)
    return dict(phy=phy, given=len(paths), sent=sent, received=received, lost=len(paths) - received,
                refused=tb.tx.encode.errors(), seconds=round(secs, 1), warmup_image=warmup,
                rss_mb={k: round(v, 1) for k, v in marks.items()},
                warmup_reached=reached, rss_growth_mb=round(marks["end"] - marks["warmup"], 1), error=error)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", default=os.path.join(os.path.dirname(__file__), "..", "examples", "images"),
                    help="folder (or file) of images, sent over and over")
    ap.add_argument("--count", type=cli.positive_int, default=5000, help="images per PHY path")
    ap.add_argument("--phy", nargs="+", choices=("direct", "ofdm"), default=["direct", "ofdm"])
    ap.add_argument("--model", default="deepjscc-kn6-awgn-10db", help="model / scheme (models/<name>) or folder")
    ap.add_argument("--snr", type=cli.finite_float, default=15.0, help="AWGN SNR (dB)")
    ap.add_argument("--warmup", type=cli.positive_int, help="image after which RSS growth is counted (count / 10)")
    ap.add_argument("--max-growth-mb", type=cli.nonneg_float, default=50.0,
                    help="RSS growth allowed from the warm-up image to the last (MB)")
    ap.add_argument("--timeout", type=cli.seconds, help="seconds per path (default 60 + 2 per image)")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args(argv)
    if a.timeout is None:
        a.timeout = 60 + 2 * a.count
    try:
        files = list_images(a.images)
    except ImageError as e:
        ap.error(str(e))
    if not files:
        ap.error(f"--images {a.images}: no image files")
    if len({os.path.basename(p) for p in files}) < len(files):
        ap.error(f"--images {a.images}: two images share a name (references are matched by name)")
    paths = (files * (a.count // len(files) + 1))[:a.count]
    reference = a.images if os.path.isdir(a.images) else files[0]
    rows, failures = [], []
    for phy in a.phy:
        try:
            r = soak(phy, paths, reference, a)
        except (ModelError, ValueError, RuntimeError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        rows.append(r)
        m = r["rss_mb"]
        print(f"{phy}: sent {r['sent']}, received {r['received']}, lost {r['lost']} of {r['given']} images in "
              f"{r['seconds']} s; RSS {m['start']:.0f} MB at start, "
              + (f"{m['warmup']:.0f} MB at image {r['warmup_image']}, {m['end']:.0f} MB at the end "
                 f"({r['rss_growth_mb']:+.1f} MB)" if r["warmup_reached"] else
                 f"{m['end']:.0f} MB at the end (image {r['warmup_image']} never arrived: no growth measured)"),
              flush=True)
        if r["lost"]:
            failures.append(f"{phy}: {r['lost']} of {r['given']} images lost" + (f" ({r['error']})" if r["error"] else ""))
        if r["rss_growth_mb"] > a.max_growth_mb:
            failures.append(f"{phy}: RSS grew {r['rss_growth_mb']:.1f} MB after image {r['warmup_image']} "
                            f"(limit {a.max_growth_mb:g})")
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(dict(command="apps/soak.py " + " ".join(sys.argv[1:]), results=rows), f, indent=1)
    if failures:
        print("error: " + "; ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
