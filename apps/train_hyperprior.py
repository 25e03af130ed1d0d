#!/usr/bin/env python3
"""Train the progressive mean-scale hyperprior (python/jscc/training/hyperprior.py), resumable.

Loss: bits / pixel + lambda * MSE (0..255 scale), averaged over tail-drop prefixes (per example a
number of channel groups kept ~ U{1..G}; docs/progressive.md). Adam, cosine learning rate,
gradient norm clipped. Trains on ../shared/data/train only (random crops, horizontal flips);
every 200th image is held back; validation reports bpp (hard-quantised likelihoods) and PSNR
for every prefix of groups.

  apps/train_hyperprior.py --bf16 --out runs/progressive-hyperprior     # ~3.5 h on 2 cores

Re-running the same command resumes from <out>/checkpoint.pt. Writes <out>/train.log (JSON
lines, every prefix), <out>/val.csv (all groups and the first group) and <out>/val.png.
Runs unchanged under torchrun (--batch is the global batch).
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from tqdm import tqdm

from gnuradio.jscc.training.data import center_crops
from gnuradio.jscc.training.hyperprior import DOWN, GROUPS, LAMBDA, M, N, ProgressiveHyperprior, rd_loss
from gnuradio.jscc.training.loop import Run, record

VAL_CROP = 256


def psnr_of(mse):
    return float(10 * np.log10(255 ** 2 / max(mse, 1e-10)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "train"))
    ap.add_argument("--out", required=True, help="run folder: checkpoints, logs")
    ap.add_argument("--steps", type=int, default=40000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128, help="training crop side (a multiple of 64)")
    ap.add_argument("--lambda", dest="lam", type=float, default=LAMBDA, help="distortion weight (x 255^2 MSE)")
    # long names only: torchrun's parser takes abbreviations such as --n or --m as its own options
    ap.add_argument("--hyper-channels", dest="n", type=int, default=N, help="hyper-latent channels N")
    ap.add_argument("--latent-channels", dest="m", type=int, default=M, help="latent channels M")
    ap.add_argument("--groups", default=",".join(map(str, GROUPS)), help="channels per group, comma-separated")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--lr-min", type=float, default=1e-5)
    ap.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    ap.add_argument("--init-from", help="checkpoint to warm-start from (matching tensors only)")
    ap.add_argument("--val-every", type=int, default=1000)
    ap.add_argument("--ckpt-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the convolutions (entropy model float32)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args(argv)
    groups = tuple(int(g) for g in a.groups.split(","))
    if a.crop % DOWN:
        ap.error(f"--crop must be a multiple of {DOWN}")

    run = Run(a, ap, "apps/train_hyperprior.py")
    val = [torch.from_numpy(v).float()[None].to(a.device) for v in center_crops(run.val_paths, VAL_CROP, DOWN)]
    model = ProgressiveHyperprior(a.n, a.m, groups).to(a.device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    step, wall, net = run.start(model, opt, a.init_from)
    meta = run.write_meta(a, argv, groups=list(groups))

    def validate():
        """[(bpp, psnr)] per prefix g = 1..G, averaged over the held-back crops (PSNR per image)."""
        model.eval()
        per = np.array([[(bpp, psnr_of(mse)) for bpp, mse in model.rd_prefixes(x)] for x in val])
        model.train()
        return per.mean(0)

    log, val_csv, bar = run.progress(a, step)
    avg = None
    while step < a.steps:
        t0 = time.time()
        x = run.next_batch(a, opt, step)
        with torch.autocast(run.amp_device, dtype=torch.bfloat16, enabled=a.bf16):
            loss, bpp, mse = rd_loss(model, x, a.lam, net)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        step += 1
        wall += time.time() - t0
        cur = np.array([loss.item(), bpp.item(), mse.item()])
        avg = cur if avg is None else 0.98 * avg + 0.02 * cur
        bar.update(1)
        bar.set_postfix(loss=f"{avg[0]:.3f}", bpp=f"{avg[1]:.3f}", psnr=f"{psnr_of(avg[2]):.2f}")
        if step % a.ckpt_every == 0 or step == a.steps:
            run.save(model, opt, step, wall, meta)
        if run.main and (step % a.val_every == 0 or step == a.steps):
            per = validate()
            rec = {"step": step, "wall_s": round(wall, 1), "lr": opt.param_groups[0]["lr"],
                   "train_loss": round(float(avg[0]), 4), "train_bpp": round(float(avg[1]), 4),
                   "train_psnr": round(psnr_of(avg[2]), 3),
                   "val_bpp": round(float(per[-1, 0]), 4), "val_psnr": round(float(per[-1, 1]), 3),
                   "val_bpp_g1": round(float(per[0, 0]), 4), "val_psnr_g1": round(float(per[0, 1]), 3)}
            record(log, val_csv, rec, {"val_prefixes": [[round(float(b), 4), round(float(p), 3)] for b, p in per]})
            tqdm.write(json.dumps(rec))
    bar.close()
    run.finish(a, step, wall, _plot)


def _plot(rows, last, png_path):
    """val.png: validation curves, and the prefixes at the last validation (Run.finish calls it)."""
    import matplotlib.pyplot as plt
    steps = [int(r["step"]) for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.plot(steps, [float(r["val_psnr"]) for r in rows], label="validation, all groups")
    ax1.plot(steps, [float(r["val_psnr_g1"]) for r in rows], label="validation, first group")
    ax1.set_xlabel("step")
    ax1.set_ylabel("PSNR (dB)")
    ax1b = ax1.twinx()
    ax1b.plot(steps, [float(r["val_bpp"]) for r in rows], "k--", alpha=0.5, label="bpp, all groups")
    ax1b.set_ylabel("bpp")
    ax1.legend(loc="lower right", fontsize=8)
    pts = np.array(last["val_prefixes"])
    ax2.plot(pts[:, 0], pts[:, 1], "o-", label=f"step {last['step']}: prefixes of 1..{len(pts)} groups")
    ax2.set_xlabel("bpp (likelihoods, held-back crops)")
    ax2.set_ylabel("PSNR (dB)")
    ax2.legend(fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)


if __name__ == "__main__":
    main()
