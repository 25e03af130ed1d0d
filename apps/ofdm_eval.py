#!/usr/bin/env python3
"""Measure the OFDM PHY: frame delivery, SNR-estimate accuracy and post-equalisation SNR vs SNR.

  apps/ofdm_eval.py --snr 0 2 5 10 15 20 25 --frames 2000 --json docs/results/ofdm_phy.json \\
      --csv docs/results/ofdm_phy.csv --plot docs/results/ofdm_phy.png

Each frame (FFT 64, CP 16, 64 payload OFDM symbols of random unit-power analog symbols) gets
its own CFO, uniform in +-cfo_max subcarrier spacings, a random fractional delay and 0..64 samples
of extra delay, then AWGN at the SNR (per sample, against the frame's unit power). Delivered:
frames whose header decoded and whose payload came out. The payload is known, so the
post-equalisation SNR is measured. Seeded: the same command gives the same numbers.
"""
import argparse
import csv
import json
import os
import platform
import sys
import time

import numpy as np
from tqdm import tqdm

from gnuradio.jscc.phy import phy_eval
from gnuradio.jscc.phy import ofdm


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--snr", type=float, nargs="+", default=[0, 2, 5, 10, 15, 20, 25])
    ap.add_argument("--frames", type=int, default=2000, help="frames per SNR point")
    ap.add_argument("--cfo-max", type=float, default=0.4, help="CFO uniform in +- this (subcarrier spacings)")
    ofdm.add_arguments(ap)
    ap.add_argument("--equalizer", choices=("zf", "mmse"), default="zf")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    ap.add_argument("--csv")
    ap.add_argument("--plot")
    a = ap.parse_args(argv)
    if a.frames < 1:
        ap.error("--frames must be >= 1")
    p = ofdm.params_from(a)
    rows = []
    # frames in batches, so memory stays bounded and progress shows
    batch = 250
    for snr in tqdm(a.snr, desc="SNR points"):
        agg = dict(delivered=0, est=[], post=[], stats={})
        for b in tqdm(range(0, a.frames, batch), desc=f"{snr:g} dB", leave=False):
            n = min(batch, a.frames - b)
            frames, payloads = phy_eval.make_frames(n, p, seed=a.seed * 1000 + b)
            x, _ = phy_eval.impair(frames, snr, p, a.cfo_max, seed=a.seed * 1000 + b + 1 + int(snr * 100))
            y, tags, st = phy_eval.receive(x, p, equalizer=a.equalizer)
            res = phy_eval.frame_results(y, tags, payloads)
            agg["delivered"] += len({r["frame"] for r in res})
            agg["est"] += [r["snr_est_db"] for r in res]
            agg["post"] += [r["post_eq_snr_db"] for r in res]
            for k, v in st.items():
                agg["stats"][k] = agg["stats"].get(k, 0) + v
        err = np.array(agg["est"]) - snr
        rows.append(dict(snr_db=snr, frames=a.frames, delivered=agg["delivered"],
                         delivery=agg["delivered"] / a.frames,
                         snr_est_mean_db=round(float(np.mean(agg["est"])), 3) if agg["est"] else None,
                         snr_est_bias_db=round(float(np.mean(err)), 3) if agg["est"] else None,
                         snr_est_std_db=round(float(np.std(err)), 3) if agg["est"] else None,
                         snr_est_p95_abs_err_db=round(float(np.percentile(np.abs(err), 95)), 3) if agg["est"] else None,
                         post_eq_snr_db=round(float(10 * np.log10(np.mean(10 ** (np.array(agg["post"]) / 10)))), 3)
                         if agg["post"] else None,
                         **{f"rx_{k}": v for k, v in agg["stats"].items()}))
        r = rows[-1]
        tqdm.write(f"{snr:5.1f} dB: delivered {r['delivered']}/{a.frames} ({100 * r['delivery']:.2f} %), "
                   f"SNR estimate {r['snr_est_mean_db']} dB (bias {r['snr_est_bias_db']}, p95 |err| "
                   f"{r['snr_est_p95_abs_err_db']}), post-eq SNR {r['post_eq_snr_db']} dB")

    out = dict(fft_len=p.fft_len, cp_len=p.cp_len, occupied=p.occupied, pilots=p.pilots,
               frame_symbols=p.frame_symbols, payload_per_frame=p.max_payload, cfo_max=a.cfo_max,
               equalizer=a.equalizer, seed=a.seed, results=rows, command=" ".join(["apps/ofdm_eval.py"] + sys.argv[1:]),
               cpu=platform.processor() or platform.machine(), date=time.strftime("%Y-%m-%d"))
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        s = [r["snr_db"] for r in rows]
        fig, ax = plt.subplots(1, 3, figsize=(14, 4))
        ax[0].plot(s, [100 * r["delivery"] for r in rows], "o-")
        ax[0].set(xlabel="SNR (dB)", ylabel="frames delivered (%)", title=f"{a.frames} frames/point, CFO ±{a.cfo_max}")
        ax[1].plot(s, s, "k--", label="ideal")
        ax[1].errorbar(s, [r["snr_est_mean_db"] for r in rows], yerr=[r["snr_est_std_db"] for r in rows], fmt="o",
                       label="estimate (mean ± std per frame)")
        ax[1].set(xlabel="true SNR (dB)", ylabel="estimated SNR (dB)", title="SNR estimator")
        ax[1].legend()
        ax[2].plot(s, [x + 10 * np.log10(p.fft_len / p.occupied) for x in s], "k--", label="per-carrier SNR")
        ax[2].plot(s, [r["post_eq_snr_db"] for r in rows], "o-", label="measured after equaliser")
        ax[2].set(xlabel="channel SNR (dB)", ylabel="dB", title="post-equalisation SNR")
        ax[2].legend()
        for x in ax:
            x.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(a.plot, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
