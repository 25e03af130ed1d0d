#!/usr/bin/env python3
"""The slot simulation of the progressive-transmission study (Naseri et al. 2026; LIC_TX):
images in order and repeated, per time slot the scheduler sends what the channel allows.
python/jscc/link/slots.py says exactly what is simulated; docs/progressive.md defines the metrics.

  # LIC_TX's own trace (per-slot bit budgets) x the coding rate, from slot 0:
  apps/progressive_eval.py --trace ../shared/data/traces/lic_tx_rates.npy --coding-rate 2/3 \\
      --model progressive-hyperprior --images ../shared/data/kodak --json out/trace.json
  # time-correlated Rayleigh fading, every scheme at each average SNR:
  apps/progressive_eval.py --channel rayleigh --doppler 10 --snr 0 5 10 15 20 \\
      --models progressive-hyperprior,webp-adaptive,jpeg2000-ldpc,deepjscc-kn6-awgn-10db \\
      --images ../shared/data/kodak --json out/fading.json --plot out/fading.png

Schemes: a multi-chunk codec (progressive-hyperprior) is scheduled chunk by chunk with --policy;
one whose decoder takes any bytes (progressive-vq) goes uncoded (Gray QAM, no LDPC, no CRC: bit
errors reach its decoder) unless named "<codec>-ldpc"; "<codec>-uncoded" asks for that explicitly;
"<codec>-adaptive" / "<codec>-ldpc" sends an image codec (webp, jpeg2000, jpeg, ...) as one chunk
at the highest quality that fits what the channel promises over --deadline slots; a Deep JSCC
model sends its symbols as they are (fading only).
"""
import argparse
import json
import os
import sys

import numpy as np
from tqdm import tqdm

from gnuradio.jscc import codecs
from gnuradio.jscc.imageio import list_images
from gnuradio.jscc.link import slots
from gnuradio.jscc.link.scheduler import Policy
from gnuradio.jscc.models import ModelError

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES_PER_SYMBOL = 5904 / 3072  # OFDM defaults: a frame's samples per payload symbol (docs/ofdm_frame.md)
DEFAULT_POLICY = "all"


def fraction(text):
    a, _, b = text.partition("/")
    try:
        v = float(a) / float(b) if b else float(a)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"not a rate: {text!r} (e.g. 2/3)") from None
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"a coding rate must be in (0, 1], got {text}")
    return v


def load_scheme(name, threads, deadline):
    base, uncoded = name, None
    for suffix, u in (("-adaptive", None), ("-ldpc", False), ("-uncoded", True)):
        if name.endswith(suffix):
            base, uncoded = name[: -len(suffix)], u
    s = slots.scheme_for(codecs.load(base, threads=threads), deadline, uncoded)
    s.name = name
    return s


def load_trace(path):
    try:
        bits = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"trace {path}: not a readable .npy array ({e})") from None
    return bits


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", default=os.path.join(HERE, "..", "examples", "images"))
    ap.add_argument("--model", help="one scheme (same as --models with one name)")
    ap.add_argument("--models", help="comma-separated schemes")
    ap.add_argument("--policy", default=DEFAULT_POLICY, help="all, groups:K, target:PSNR_DB, deadline:SLOTS")
    ap.add_argument("--deadline", type=float, default=4, help="slots an adaptive image codec plans its size for")
    g = ap.add_argument_group("channel: a trace, or fading")
    g.add_argument("--trace", help=".npy of per-slot bit budgets (1-D, >= 0)")
    g.add_argument("--coding-rate", type=fraction, default=1.0, help="information bits per trace bit, e.g. 2/3")
    g.add_argument("--slot-ms", type=float, default=10.0, help="trace mode: slot duration for throughput")
    g.add_argument("--channel", choices=("rayleigh",), help="time-correlated Rayleigh fading (Clarke)")
    g.add_argument("--doppler", type=float, default=10.0, help="maximum Doppler frequency (Hz)")
    g.add_argument("--snr", type=float, nargs="+", default=[0, 5, 10, 15, 20], help="average SNRs (dB)")
    g.add_argument("--slots", type=int, default=2000, help="fading mode: slots per run")
    g.add_argument("--slot-symbols", type=int, default=12288, help="channel uses per slot (4 OFDM frames)")
    g.add_argument("--sample-rate", type=float, default=1e6, help="OFDM sample rate (sets the slot duration)")
    g.add_argument("--csi-delay", type=int, default=1, help="slots by which the transmitter's CSI is late")
    g.add_argument("--csi-noise-db", type=float, default=0.0, help="std of the CSI's SNR error (dB)")
    g.add_argument("--margin-db", type=float, default=1.0, help="SNR margin when picking the MCS")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json")
    ap.add_argument("--csv", help="per-image records")
    ap.add_argument("--plot")
    a = ap.parse_args(argv)
    names = [n for n in (a.models or a.model or "").split(",") if n]
    if not names:
        ap.error("give --model or --models")
    if bool(a.trace) == bool(a.channel):
        ap.error("give exactly one of --trace FILE.npy and --channel rayleigh")
    try:
        policy = Policy.parse(a.policy)
    except ValueError as e:
        ap.error(str(e))
    if a.slots < 1 or a.slot_symbols < 1 or a.sample_rate <= 0 or a.slot_ms <= 0 or a.deadline <= 0 \
            or a.csi_delay < 0 or a.csi_noise_db < 0 or a.doppler < 0 or not a.snr:
        ap.error("--slots, --slot-symbols, --sample-rate, --slot-ms and --deadline must be > 0; "
                 "--csi-delay, --csi-noise-db and --doppler >= 0; --snr needs at least one value")
    paths = list_images(a.images) if os.path.isdir(a.images) else []
    if not paths:
        sys.exit(f"error: no images in {a.images}")
    try:
        schemes = [load_scheme(n, a.threads, a.deadline) for n in names]
    except (ModelError, ValueError) as e:
        sys.exit(f"error: {e}")
    cmd = "apps/progressive_eval.py " + " ".join(argv if argv is not None else sys.argv[1:])
    rows = []
    if a.trace:
        try:
            states = slots.States.trace(load_trace(a.trace), a.coding_rate)
            results = {}
            for s in schemes:
                recs, summ = slots.simulate(s, paths, states, policy, a.margin_db, np.random.default_rng(a.seed),
                                            a.slot_ms / 1000)
                results[s.name] = summ
                rows += [dict(r, scheme=s.name) for r in recs]
        except ValueError as e:
            sys.exit(f"error: {e}")
        out = dict(results[names[0]], schemes=results, trace=os.path.abspath(a.trace), coding_rate=a.coding_rate,
                   policy=str(policy), n_images=len(paths), command=cmd)
        for n, r in results.items():
            print(f"{n}: {r['images_completed']} images in {r['slots']} slots, mean PSNR "
                  f"{r['mean_psnr_db'] or float('nan'):.2f} dB, waiting p50/p99 {r['waiting_slots_p50']}/"
                  f"{r['waiting_slots_p99']} slots, {100 * r['bits_used_fraction']:.1f} % of the bits used")
    else:
        slot_s = a.slot_symbols * SAMPLES_PER_SYMBOL / a.sample_rate
        results = {s.name: [] for s in schemes}
        bar = tqdm(total=len(schemes) * len(a.snr), desc="slot simulation")
        for snr in a.snr:
            rng = np.random.default_rng([a.seed, int(round(snr * 100)) & 0xFFFF])
            states = slots.States.fading(snr, a.slots, a.doppler, slot_s, a.slot_symbols, rng, a.csi_delay,
                                         a.csi_noise_db)
            for s in schemes:
                recs, summ = slots.simulate(s, paths, states, policy, a.margin_db,
                                            np.random.default_rng([a.seed, 7]), slot_s)
                results[s.name].append(dict(summ, snr_db=snr))
                rows += [dict(r, scheme=s.name, snr_db=snr) for r in recs]
                bar.update(1)
        bar.close()
        out = dict(schemes=results, channel="rayleigh", doppler_hz=a.doppler, slot_s=slot_s,
                   slot_symbols=a.slot_symbols, slots=a.slots, csi_delay=a.csi_delay, csi_noise_db=a.csi_noise_db,
                   margin_db=a.margin_db, policy=str(policy), deadline=a.deadline, n_images=len(paths), command=cmd)
        for n, pts in results.items():
            for r in pts:
                print(f"{n:<28} {r['snr_db']:5.1f} dB: {r['images_completed']:4d} images, PSNR "
                      f"{r['mean_psnr_db'] or float('nan'):6.2f} dB, MS-SSIM {r['mean_ms_ssim'] or float('nan'):.4f}, "
                      f"{r['throughput_px_per_s'] / 1e3:8.1f} kpx/s, "
                      f"waiting p50/p99 {r['waiting_slots_p50']}/{r['waiting_slots_p99']}")
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
    if a.csv:
        import csv
        keys = sorted({k for r in rows for k in r})
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, keys)
            w.writeheader()
            w.writerows(rows)
    if a.plot and not a.trace:
        plot(out, a.plot)
    return 0


def plot(out, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    keys = [("images_completed", "images completed"), ("mean_psnr_db", "mean PSNR at completion (dB)"),
            ("mean_ms_ssim", "mean MS-SSIM at completion"), ("throughput_px_per_s", "throughput (pixels/s)"),
            ("waiting_slots_p99", "waiting time p99 (slots)")]
    fig, axes = plt.subplots(1, 5, figsize=(21, 4))
    for ax, (k, label) in zip(axes, keys):
        for name, pts in out["schemes"].items():
            ax.plot([p["snr_db"] for p in pts], [p.get(k) if p.get(k) is not None else np.nan for p in pts], "o-",
                    label=name)
        ax.set_xlabel("average SNR (dB)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Rayleigh fading, Doppler {out['doppler_hz']:g} Hz, slot {1000 * out['slot_s']:.1f} ms, "
                 f"{out['slots']} slots, policy {out['policy']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main())
