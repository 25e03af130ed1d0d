#!/usr/bin/env python3
"""Measured statistics of the "rayleigh-doppler" fading against Clarke's formulas, for the C++
block (rayleigh_tv_cc) and its numpy twin (channels.fading): the figures of docs/channels.md and
the spread the tolerances of tests/test_channels.py are set from.

  apps/fading_stats.py --sets 10                 # the test's setting, 10 seed sets per implementation
  apps/fading_stats.py --sinusoids 8 --impl numpy

Each set is --realisations independent seeds of --n samples at --doppler / --samp-rate; per
statistic it prints the mean, standard deviation and worst value over the sets.
"""
import argparse
import json
import sys

import numpy as np

from gnuradio.jscc.channels import fading

STATS = ("acf", "acf_err", "power_err", "ks", "lcr_err", "afd_err")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impl", nargs="+", choices=("cpp", "numpy"), default=["cpp", "numpy"])
    ap.add_argument("--model", choices=fading.MODELS, default="clarke")
    ap.add_argument("--doppler", type=float, default=100.0, help="maximum Doppler f_d (Hz)")
    ap.add_argument("--samp-rate", type=float, default=1e4, help="sample rate (Hz)")
    ap.add_argument("--n", type=int, default=1 << 16, help="samples per realisation")
    ap.add_argument("--realisations", type=int, default=16, help="seeds per set")
    ap.add_argument("--sets", type=int, default=10, help="independent sets (seeds differ)")
    ap.add_argument("--sinusoids", type=int, default=fading.N_SINUSOIDS)
    ap.add_argument("--lags", type=int, nargs="+", default=[10, 20, 38, 61, 88], help="in samples")
    ap.add_argument("--levels", type=float, nargs="+", default=[0.3, 1.0, 1.5], help="envelope levels (rms 1)")
    ap.add_argument("--ks-decimate", type=int, default=100, help="KS on every k-th sample")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args(argv)
    gen = dict(cpp=fading.block_realisations, numpy=fading.numpy_realisations)
    kw = dict(n_sinusoids=a.sinusoids) if a.model == "clarke" else {}
    out = dict(settings={k: v for k, v in vars(a).items() if k != "json"})
    for impl in a.impl:
        rows = []
        for s in range(a.sets):
            seeds = range(1 + s * a.realisations, 1 + (s + 1) * a.realisations)
            h = gen[impl](a.model, seeds, a.n, a.doppler, a.samp_rate, **kw)
            rows.append(fading.measure(h, a.doppler, a.samp_rate, a.lags, a.levels, a.ks_decimate))
        res = {}
        for k in STATS:
            v = np.array([r[k] for r in rows], np.float64)
            res[k] = dict(mean=v.mean(0).round(4).tolist(), std=v.std(0).round(4).tolist())
            if k != "acf":  # the errors' largest magnitude
                res[k]["worst"] = np.abs(v).max(0).round(4).tolist()
        res["ks_limit"] = round(fading.ks_limit(rows[0]["ks_n"]), 4)
        out[impl] = res
        print(f"{impl} ({a.model}, {a.sets} sets of {a.realisations} x {a.n} samples, f_d/f_s = "
              f"{a.doppler / a.samp_rate:g}):")
        for k in STATS:
            print(f"  {k:9s} mean {res[k]['mean']}  std {res[k]['std']}  worst {res[k].get('worst', '-')}")
        print(f"  ks_limit  {res['ks_limit']} (p = 0.001)")
    lags = np.asarray(a.lags)
    print(f"J0 at the lags: {fading.clarke_autocorrelation(lags / a.samp_rate, a.doppler).round(4).tolist()}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
