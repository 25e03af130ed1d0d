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
import csv
import json
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

from gnuradio.jscc.training.data import CropSampler, center_crops, list_images, split_holdout
from gnuradio.jscc.training.hyperprior import DOWN, GROUPS, LAMBDA, M, N, ProgressiveHyperprior, rd_loss
from gnuradio.jscc.training.loop import (init_distributed, load_compatible, lr_at, record, restore_rng, rng_states,
                                         save_atomic)

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
    ap.add_argument("--n", type=int, default=N, help="hyper-latent channels N")
    ap.add_argument("--m", type=int, default=M, help="latent channels M")
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

    rank, world = init_distributed(a.device)
    if a.batch % world:
        ap.error(f"--batch {a.batch} must be a multiple of the {world} processes")
    if world > 1 and a.device.startswith("cuda"):
        a.device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    main_rank = rank == 0
    if a.threads:
        torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    ckpt_path = os.path.join(a.out, "checkpoint.pt")
    torch.manual_seed(a.seed)
    rng = np.random.default_rng([a.seed, rank])

    paths = list_images(a.data)
    if not paths:
        sys.exit(f"no images under {a.data}")
    train_paths, val_paths = split_holdout(paths)
    if main_rank:
        print(f"{len(train_paths)} training images, {len(val_paths)} held back for validation"
              + (f"; {world} processes" if world > 1 else ""), flush=True)
    sampler = CropSampler(train_paths, a.crop, rng,
                          progress=lambda p: tqdm(p, desc="loading", leave=False, disable=not main_rank))
    if sampler.skipped and main_rank:
        print(f"skipped {len(sampler.skipped)} unreadable or smaller-than-crop images", flush=True)
    val = []
    for v in center_crops(val_paths, VAL_CROP):
        s = min(v.shape[1:]) // DOWN * DOWN
        if s:
            val.append(torch.from_numpy(np.ascontiguousarray(v[:, :s, :s])).float()[None].to(a.device))

    model = ProgressiveHyperprior(a.n, a.m, groups).to(a.device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    step, wall = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=a.device, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, wall = ck["step"], ck["wall_s"]
        restore_rng(ck, rng, rank, world)
        if main_rank:
            print(f"resumed at step {step}", flush=True)
    elif a.init_from:
        taken, fresh = load_compatible(model, a.init_from)
        if main_rank:
            print(f"warm start from {a.init_from}: {len(taken)} tensors copied, fresh: {fresh}", flush=True)
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    amp_device = "cuda" if a.device.startswith("cuda") else "cpu"

    meta = dict(vars(a), groups=list(groups))
    meta["command"] = " ".join(["apps/train_hyperprior.py"] + (argv if argv is not None else sys.argv[1:]))
    meta["train_images"], meta["val_images"] = len(sampler.images), [os.path.basename(p) for p in val_paths]
    meta["processes"] = world
    if main_rank:
        with open(os.path.join(a.out, "run.json"), "w") as f:
            json.dump(meta, f, indent=1)

    def save():
        states = rng_states(rng, world)
        if main_rank:
            save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "wall_s": wall,
                         "np_rng": states, "torch_rng": torch.get_rng_state(), "args": meta, "world": world},
                        ckpt_path)

    def validate():
        """[(bpp, psnr)] per prefix g = 1..G, averaged over the held-back crops (PSNR per image)."""
        model.eval()
        per = np.array([[(bpp, psnr_of(mse)) for bpp, mse in model.rd_prefixes(x)] for x in val])
        model.train()
        return per.mean(0)

    log = open(os.path.join(a.out, "train.log"), "a") if main_rank else None
    val_csv = os.path.join(a.out, "val.csv")
    bar = tqdm(total=a.steps, initial=step, desc=os.path.basename(a.out.rstrip("/")), mininterval=5,
               disable=not main_rank)
    avg = None
    while step < a.steps:
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.steps, a.lr, a.lr_min)
        x = torch.from_numpy(sampler.batch(a.batch // world)).float().to(a.device)
        with torch.autocast(amp_device, dtype=torch.bfloat16, enabled=a.bf16):
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
            save()
        if main_rank and (step % a.val_every == 0 or step == a.steps):
            per = validate()
            rec = {"step": step, "wall_s": round(wall, 1), "lr": opt.param_groups[0]["lr"],
                   "train_loss": round(float(avg[0]), 4), "train_bpp": round(float(avg[1]), 4),
                   "train_psnr": round(psnr_of(avg[2]), 3),
                   "val_bpp": round(float(per[-1, 0]), 4), "val_psnr": round(float(per[-1, 1]), 3),
                   "val_bpp_g1": round(float(per[0, 0]), 4), "val_psnr_g1": round(float(per[0, 1]), 3)}
            record(log, val_csv, rec, {"val_prefixes": [[round(float(b), 4), round(float(p), 3)] for b, p in per]})
            tqdm.write(json.dumps(rec))
    bar.close()
    if main_rank:
        _plot(val_csv, os.path.join(a.out, "train.log"), os.path.join(a.out, "val.png"))
        print(f"done: {step} steps, {wall / 60:.1f} min; checkpoint {ckpt_path}")
    if world > 1:
        dist.destroy_process_group()


def _plot(csv_path, log_path, png_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    with open(log_path) as f:
        last = [json.loads(line) for line in f if line.strip()][-1]
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
