#!/usr/bin/env python3
"""Measure the codeword error rate of every MCS through the real chain (Gray QAM, interleaving,
LDPC decoding from soft bits) over AWGN; writes the table the slot simulator and the adaptive
schemes use (python/jscc/coding/mcs_fer.json) and a plot.

  apps/mcs_eval.py --codewords 400 --json python/jscc/coding/mcs_fer.json --plot docs/results/mcs_fer.png

Per MCS: a coarse scan (1 dB steps, 32 codewords) finds the waterfall, then 0.25 dB steps from
1.5 dB below the 50 % point until 3 points in a row are error-free, `--codewords` each. SNR per
complex symbol (the module's definition). Seeded.
"""
import argparse
import json
import os
import sys

import numpy as np
from tqdm import tqdm

from gnuradio.jscc.coding import fer, mcs as mcs_table


def scan(m, codewords, rng):
    coarse = []
    for snr in np.arange(-8.0, 30.0, 1.0):
        f, n = fer.measure(m, snr, 32, rng)
        coarse.append((snr, f / n))
        if f == 0:
            break
    s50 = next(s for s, r in coarse if r <= 0.5)
    pts, clean = [], 0
    snr = s50 - 1.5
    while clean < 3 and snr < 40:
        f, n = fer.measure(m, snr, codewords, rng)
        pts.append((round(float(snr), 2), f / n))
        clean = clean + 1 if f == 0 else 0
        snr += 0.25
    return pts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--codewords", type=int, default=400, help="codewords per fine point")
    ap.add_argument("--mcs", nargs="*", default=[m.name for m in mcs_table.PAPER])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=fer.TABLE)
    ap.add_argument("--plot")
    a = ap.parse_args(argv)
    if a.codewords < 10:
        ap.error("--codewords must be >= 10")
    rng = np.random.default_rng(a.seed)
    out = {"channel": "awgn", "snr": "per complex symbol", "codewords_per_point": a.codewords,
           "command": "apps/mcs_eval.py " + " ".join(argv if argv is not None else sys.argv[1:]), "mcs": {}}
    for name in tqdm(a.mcs, desc="MCS"):
        pts = scan(name, a.codewords, rng)
        out["mcs"][name] = {"snr_db": [p[0] for p in pts], "fer": [p[1] for p in pts]}
        fer.table.cache_clear()
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)
    fer.table.cache_clear()
    for name in a.mcs:
        print(f"{name:<12} FER 1e-2 at {fer.threshold(name, 1e-2, a.json):6.2f} dB")
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        plt.figure(figsize=(8, 4.5))
        for name, v in out["mcs"].items():
            f = np.maximum(v["fer"], 1e-4)
            plt.semilogy(v["snr_db"], f, "o-", ms=2, label=name)
        plt.xlabel("SNR per complex symbol (dB)")
        plt.ylabel("codeword error rate")
        plt.ylim(1e-4, 1.5)
        plt.grid(alpha=0.3, which="both")
        plt.legend(fontsize=7, ncol=3)
        plt.title(f"MCS through QAM + interleaving + LDPC (AWGN, {a.codewords} codewords per point)")
        plt.tight_layout()
        plt.savefig(a.plot, dpi=110)


if __name__ == "__main__":
    main()
