#!/usr/bin/env python3
"""Evaluate any registered scheme at the model level: codec + digital chain + a numpy channel,
no GNU Radio (python/jscc/evaluation.py says exactly what is simulated).

PSNR (MAX = 255, on the uint8 output) and SSIM per image, averaged over images and channel
realizations. Seeded: the same arguments give the same numbers.

  apps/evaluate.py --model deepjscc-kn6-awgn-10db --channel awgn --snr 1 4 7 10 13 19 \\
      --images ../shared/data/kodak --realizations 10 --json out/eval.json
  apps/evaluate.py --model jpeg2000 --fec ldpc --mcs 16qam-2/3 --kn 6 --channel awgn --snr 4 10 \\
      --images ../shared/data/kodak --realizations 2 --json out/j2k.json
  apps/evaluate.py --model jpeg --fec ldpc --mcs best --kn 12 ...   # the paper's envelope over 12 MCS
  apps/evaluate.py --model jpeg2000 --fec capacity --kn 6 ...       # the separation bound
  apps/evaluate.py --model progressive-hyperprior --groups all --images ../shared/data/kodak --json out/rd.json
                                           # rate-distortion per prefix of chunks, real bitstreams, no channel
  apps/evaluate.py --model progressive-vq --stages all --ber 0 1e-4 1e-3 1e-2 3e-2 --images ../shared/data/kodak \\
      --json out/ber.json                  # each prefix of stages sent without FEC: independent bit flips
  apps/evaluate.py --model progressive-hyperprior --fec none --stages all --ber 0 1e-4 1e-3 ...   # the same
"""
import argparse
import json
import os
import sys


from gnuradio.jscc import codecs, engines, evaluation
from gnuradio.jscc.channels import sim
from gnuradio.jscc.codecs.base import BYTES
from gnuradio.jscc.imageio import list_images
from gnuradio.jscc.models import ModelError, load_card, reference_snr_db, save_card

HERE = os.path.dirname(os.path.abspath(__file__))


def plot(runs, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for r in runs:
        snr = [x["snr_db"] for x in r["results"]]
        label = f"{r['model']}" + (f" {r.get('fec')} {r.get('mcs') or ''}" if r.get("fec") else "") + \
            f" ({r['channel']}, {r['n_images']} img x {r['realizations']})"
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
    ap.add_argument("--model", required=True, help="model / scheme name (models/<name>) or folder")
    ap.add_argument("--channel", choices=sim.CHANNELS, default="awgn")
    ap.add_argument("--snr", type=float, nargs="+", default=[1, 4, 7, 10, 13, 19], help="SNR(s) in dB")
    ap.add_argument("--images", default=os.path.join(HERE, "..", "examples", "images"), help="folder of images")
    ap.add_argument("--realizations", type=int, default=10, help="channel realizations per image and SNR")
    ap.add_argument("--seed", type=int, default=0)
    g = ap.add_argument_group("digital schemes (image codec + CRC + LDPC + QAM)")
    g.add_argument("--kn", type=int, default=0, help="bandwidth ratio k/n = 1/KN (channel uses per image)")
    g.add_argument("--fec", choices=evaluation.FECS + ("none",),
                   help="ldpc (default): real decoding of every codeword; capacity: the separation bound; "
                        "none: no FEC and no CRC (with --ber)")
    g.add_argument("--mcs", default="qpsk-1/2", help="e.g. 16qam-2/3, or 'best': per SNR the best of the paper's 12")
    ap.add_argument("--groups", nargs="+", help="progressive codecs: rate-distortion from real bitstreams for "
                    "these numbers of chunks ('all': every prefix), no channel")
    ap.add_argument("--stages", nargs="+", help="progressive codecs: these numbers of leading chunks (stages, "
                    "groups; 'all': every prefix); with --ber sent through bit errors, else as --groups")
    ap.add_argument("--ber", type=float, nargs="+", help="bit error rates of an uncoded link (no FEC, no CRC): "
                    "independent flips on the transmitted bytes; one result per (stages, ber)")
    ap.add_argument("--no-ssim", action="store_true", help="skip SSIM (faster)")
    ap.add_argument("--ssim-realizations", type=int, metavar="N", help="SSIM from the first N realizations of each "
                    "image and SNR only (SSIM costs ~2.5x a decode on the CPU; PSNR stays over all of them)")
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--plot", help="PNG of PSNR and SSIM vs SNR (this run plus any --compare JSONs)")
    ap.add_argument("--compare", nargs="*", default=[], help="earlier --json outputs to draw beside this run")
    ap.add_argument("--update-card", action="store_true", help="store the results in the model's model.json")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--engine", default="auto", choices=("auto",) + engines.NAMES,
                    help="inference engine of a learned codec (python/jscc/engines.py); JSCC_ENGINE overrides")
    a = ap.parse_args(argv)
    if a.realizations < 1:
        ap.error("--realizations must be >= 1")
    if a.ssim_realizations is not None and a.ssim_realizations < 1:
        ap.error("--ssim-realizations must be >= 1 (--no-ssim skips SSIM)")
    if a.kn < 0:
        ap.error("--kn must be > 0")
    if a.ber is not None and a.fec not in (None, "none"):
        ap.error(f"--ber models a link without FEC: use --fec none (or leave --fec out), not --fec {a.fec}")
    if a.ber is None and a.fec == "none":
        ap.error("--fec none needs --ber (the bit error rates of the uncoded link)")
    if a.ber is None:
        a.fec = a.fec or "ldpc"

    try:
        codec = codecs.load(a.model, threads=a.threads, engine=a.engine)
    except (ModelError, ValueError) as e:
        sys.exit(f"error: {e}")
    digital = codec.kind == BYTES
    if a.ber is not None:
        return bit_error_evaluation(codec, a, argv)
    if a.stages and not a.groups:
        a.groups = a.stages
    if a.groups:
        return rate_distortion(codec, a, argv)
    if digital and not a.kn:
        ap.error(f"{codec.name} is a digital scheme: give --kn (e.g. 6 or 12)")
    paths = list_images(a.images) if os.path.isdir(a.images) else []
    if not paths:
        sys.exit(f"error: no images in {a.images}")
    per_mcs = None
    try:
        if digital and a.fec == "ldpc" and a.mcs == "best":
            results, per_mcs = evaluation.best_mcs(codec, a.channel, a.kn, paths, a.snr, a.realizations, a.seed,
                                                   with_ssim(a), threads=a.threads)
            rows, skipped = [], []
        else:
            tx = evaluation.scheme(codec, a.channel, a.kn, a.mcs, a.fec, a.threads)
            results, rows, skipped = evaluation.evaluate(tx, paths, a.snr, a.realizations, a.seed, with_ssim(a))
    except ValueError as e:
        sys.exit(f"error: {e}")
    for s in skipped:
        print(f"skipped: {s}", file=sys.stderr)
    n_images = len(paths) - len(skipped)

    kn = a.kn if digital else codec.kn
    scheme = (f"{codec.name} + {a.fec}" + (f" {a.mcs}" if a.fec == "ldpc" else "")) if digital else codec.name
    used = sorted(set(getattr(codec, "engines", {}).values()))
    print(f"{scheme}  k/n = 1/{kn}  {a.channel}  {n_images} images x {a.realizations} realizations"
          + (f"  engine {', '.join(used)}" if used else ""))
    print(f"{'SNR (dB)':>9} {'PSNR (dB)':>10} {'SSIM':>7}" + ("  MCS          failures" if digital else ""))
    for r in results:
        print(f"{r['snr_db']:9.1f} {r['psnr_db']:10.2f} {r['ssim'] if r['ssim'] is not None else float('nan'):7.4f}"
              + (f"  {r['mcs']:<12} {r['decode_failures']}/{r['transmissions']}" if digital else ""))

    out = {"model": codec.name, "codec": codec.codec, "channel": a.channel, "k_over_n": 1 / kn, "n_images": n_images,
           "realizations": a.realizations, "seed": a.seed, "images": os.path.abspath(a.images),
           "command": "apps/evaluate.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "results": results, "per_image": rows}
    if digital:
        out.update(fec=a.fec, mcs=a.mcs if a.fec == "ldpc" else None)
    if used:
        out["engine"] = ", ".join(used)
    if per_mcs:
        out["per_mcs"] = per_mcs
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
        if digital:
            sys.exit("error: --update-card stores a learned model's figures; digital schemes' figures live in docs/results")
        update_card(codec, a, argv, results, rows, n_images)


def rate_distortion(codec, a, argv):
    """--groups: one result per prefix length (groups, bpp, psnr_db, ssim); --update-card stores
    them as the card's kodak_rd."""
    if codec.kind != BYTES:
        sys.exit(f"error: --groups measures byte codecs' bitstreams; {codec.name} sends symbols")
    try:
        groups = None if a.groups == ["all"] else [int(g) for g in a.groups]
    except ValueError:
        sys.exit(f"error: --groups takes 'all' or numbers of chunks, not {' '.join(a.groups)}")
    paths = list_images(a.images) if os.path.isdir(a.images) else []
    if not paths:
        sys.exit(f"error: no images in {a.images}")
    try:
        results, rows, skipped = evaluation.rate_distortion(codec, paths, groups, not a.no_ssim)
    except ValueError as e:
        sys.exit(f"error: {e}")
    for s in skipped:
        print(f"skipped: {s}", file=sys.stderr)
    cmd = " ".join(["apps/evaluate.py"] + (argv if argv is not None else sys.argv[1:]))
    n_images = len(paths) - len(skipped)
    print(f"{codec.name}  {n_images} images, real bitstreams")
    print(f"{'groups':>6} {'bpp':>7} {'PSNR (dB)':>10} {'SSIM':>7}")
    for r in results:
        print(f"{r['groups']:6d} {r['bpp']:7.4f} {r['psnr_db']:10.2f} {r['ssim'] if r['ssim'] is not None else float('nan'):7.4f}")
    out = {"model": codec.name, "codec": codec.codec, "n_images": n_images, "images": os.path.abspath(a.images),
           "command": cmd, "results": results, "per_image": rows}
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    if a.update_card:
        card = load_card(codec.path)
        card["kodak_rd"] = {"n_images": n_images, "command": cmd, "results": results,
                            "per_image": {r["image"] + f"@{r['groups']}": [round(r["bpp"], 5), round(r["psnr_db"], 3)]
                                          for r in rows}}
        card_path = save_card(codec.path, card)
        print(f"updated {card_path}")


def bit_error_evaluation(codec, a, argv):
    """--ber: one result per (stages, ber): stages, ber, bpp, psnr_db, ssim, ms_ssim and how
    often the codec could not decode (evaluation.bit_errors)."""
    if codec.kind != BYTES:
        sys.exit(f"error: --ber flips bits of byte chunks; {codec.name} sends analog symbols (use --snr)")
    sel = a.stages or a.groups or ["all"]
    try:
        stages = None if sel == ["all"] else [int(g) for g in sel]
    except ValueError:
        sys.exit(f"error: --stages takes 'all' or numbers of chunks, not {' '.join(sel)}")
    paths = list_images(a.images) if os.path.isdir(a.images) else []
    if not paths:
        sys.exit(f"error: no images in {a.images}")
    try:
        results, rows, skipped = evaluation.bit_errors(codec, paths, stages, a.ber, a.realizations, a.seed,
                                                       not a.no_ssim)
    except ValueError as e:
        sys.exit(f"error: {e}")
    for s in skipped:
        print(f"skipped: {s}", file=sys.stderr)
    n_images = len(paths) - len(skipped)
    print(f"{codec.name}  {n_images} images x {a.realizations} realizations, no FEC, independent bit flips")
    print(f"{'stages':>6} {'BER':>8} {'bpp':>7} {'PSNR (dB)':>10} {'SSIM':>7} {'MS-SSIM':>8}  failures  corrupt chunks")
    nan = float("nan")
    for r in results:
        print(f"{r['stages']:6d} {r['ber']:8.1e} {r['bpp']:7.4f} {r['psnr_db']:10.2f} "
              f"{r['ssim'] if r['ssim'] is not None else nan:7.4f} {r['ms_ssim'] if r['ms_ssim'] is not None else nan:8.4f}"
              f"  {r['decode_failures']:>3}/{r['transmissions']:<4}  {r['corrupt_chunks']}")
    out = {"model": codec.name, "codec": codec.codec, "fec": "none", "n_images": n_images,
           "realizations": a.realizations, "seed": a.seed, "images": os.path.abspath(a.images),
           "command": "apps/evaluate.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "results": results, "per_image": rows}
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    if a.update_card:  # the card keeps the means; the per-image rows stay in --json
        card = load_card(codec.path)
        card["kodak_bit_errors"] = {k: out[k] for k in ("fec", "n_images", "realizations", "seed", "command", "results")}
        card_path = save_card(codec.path, card)
        print(f"updated {card_path}")


def with_ssim(a):
    """evaluation.evaluate's with_ssim: False, True (every realization) or the first N."""
    if a.no_ssim:
        return False
    return min(a.ssim_realizations, a.realizations) if a.ssim_realizations else True


def update_card(codec, a, argv, results, rows, n_images):
    """Float32 engines store the Kodak figures; a reduced-precision engine stores its PSNR delta
    against them at the card's reference SNR (SNR_train, or snr_reference_db of an SNR-adaptive
    model; same images, seed and realizations), which decides whether engine auto may use it
    (engines.allowed)."""
    card = load_card(codec.path)
    cmd = " ".join(["apps/evaluate.py"] + (argv if argv is not None else sys.argv[1:]))
    used = set(codec.engines.values())
    if used & engines.REDUCED:
        (name,) = used
        ref = card.get("kodak", {}).get(a.channel, {})
        snr_train = reference_snr_db(card)
        mine = next((r for r in results if r["snr_db"] == snr_train), None)
        theirs = ref.get("results", {}).get(str(snr_train))
        if mine is None or theirs is None or ref.get("n_images") != n_images or \
                theirs.get("realizations") != a.realizations or ref.get("seed") != a.seed:
            sys.exit(f"error: the card has no float32 result at {snr_train} dB with {n_images} images, "
                     f"{a.realizations} realizations and seed {a.seed} to compare {name} with")
        delta = round(mine["psnr_db"] - theirs["psnr_db"], 4)
        card.setdefault("engines", {})[name] = {"kodak_psnr_delta_db": delta, "snr_db": snr_train,
                                                "psnr_db": mine["psnr_db"], "command": cmd}
        card_path = save_card(codec.path, card)
        print(f"updated {card_path}: {name} delta {delta:+.4f} dB at {snr_train} dB")
        return
    entry = card.setdefault("kodak", {}).setdefault(a.channel, {})
    entry.update({"n_images": n_images, "seed": a.seed})
    entry.setdefault("commands", [])
    if cmd not in entry["commands"]:
        entry["commands"].append(cmd)
    pts = {str(r["snr_db"]): dict({"psnr_db": r["psnr_db"], "ssim": r["ssim"], "realizations": a.realizations},
                                  **({"ssim_realizations": a.ssim_realizations} if a.ssim_realizations else {}))
           for r in results}
    entry["results"] = dict(sorted({**entry.get("results", {}), **pts}.items(), key=lambda kv: float(kv[0])))
    snr_train = reference_snr_db(card)
    at_train = {r["image"]: round(r["psnr_db"], 3) for r in rows if r["snr_db"] == snr_train}
    if at_train:  # lets tests check the card on a few images (examples/images) without the full set
        entry["per_image_psnr_at_snr_train"] = at_train
        entry["per_image_realizations"] = a.realizations
    card_path = save_card(codec.path, card)
    print(f"updated {card_path}")


if __name__ == "__main__":
    main()
