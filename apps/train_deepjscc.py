#!/usr/bin/env python3
"""Train a Deep JSCC model (Bourtsoulatze et al. 2019) on CPU or GPU, resumable.

Example (the shipped deepjscc-kn6-awgn-10db):
  apps/train_deepjscc.py --kn 6 --channel awgn --snr 10 --steps 40000 --out runs/kn6-awgn-10db

Re-running the same command resumes from <out>/checkpoint.pt. Writes <out>/train.log
(JSON lines), <out>/val.csv and <out>/val.png (validation PSNR over steps).

--bf16 runs the convolutions under bfloat16 autocast (power normalisation, channel and loss
stay float32); on these CPUs (AMX) a step is ~1.8x faster at the same validation PSNR
(docs/training.md). Runs unchanged under torchrun (DistributedDataParallel: gloo on CPU,
nccl on GPU); --batch is the global batch, split over the processes:
  torchrun --nproc-per-node 2 apps/train_deepjscc.py --kn 6 --snr 10 --steps 100 --out runs/ddp
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

from gnuradio.jscc.training.channels import CHANNELS
from gnuradio.jscc.training.data import CropSampler, center_crops, list_images, split_holdout
from gnuradio.jscc.training.deepjscc import DeepJSCC, c_for_kn
from gnuradio.jscc.training.loop import (init_distributed, load_compatible, lr_at, record, restore_rng, rng_states,
                                         save_atomic)


def psnr(a, b):
    mse = torch.mean((a.round().clamp(0, 255) - b) ** 2).item()
    return 10 * np.log10(255 ** 2 / max(mse, 1e-10))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kn", type=int, required=True, help="bandwidth ratio k/n = 1/KN (6 or 12)")
    ap.add_argument("--channel", choices=sorted(CHANNELS), default="awgn")
    ap.add_argument("--snr", type=float, default=10.0, help="training SNR in dB (average SNR for rayleigh)")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "train"))
    ap.add_argument("--out", required=True, help="run folder: checkpoints, logs")
    ap.add_argument("--steps", type=int, default=40000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-min", type=float, default=1e-5)
    ap.add_argument("--init-from", help="checkpoint to warm-start from (matching tensors only)")
    ap.add_argument("--val-every", type=int, default=1000)
    ap.add_argument("--ckpt-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the convolutions")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args(argv)

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
    rng = np.random.default_rng([a.seed, rank])  # each process draws its own crops

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
    val = [torch.from_numpy(v).float()[None].to(a.device) for v in center_crops(val_paths, 256)]

    model = DeepJSCC(c_for_kn(a.kn), CHANNELS[a.channel](a.snr)).to(a.device)
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

    meta = {k: v for k, v in vars(a).items()}
    meta["command"] = " ".join(["apps/train_deepjscc.py"] + (argv if argv is not None else sys.argv[1:]))
    meta["train_images"], meta["val_images"] = len(sampler.images), [os.path.basename(p) for p in val_paths]
    meta["processes"] = world
    if main_rank:
        with open(os.path.join(a.out, "run.json"), "w") as f:
            json.dump(meta, f, indent=1)

    def save():
        states = rng_states(rng, world)
        if main_rank:
            save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "wall_s": wall,
                         "np_rng": states, "torch_rng": torch.get_rng_state(), "args": meta, "world": world}, ckpt_path)

    def validate():
        model.eval()
        with torch.no_grad():
            v = float(np.mean([psnr(model(x), x) for x in val]))
        model.train()
        return v

    log = open(os.path.join(a.out, "train.log"), "a") if main_rank else None
    val_csv = os.path.join(a.out, "val.csv")
    bar = tqdm(total=a.steps, initial=step, desc=os.path.basename(a.out.rstrip("/")), mininterval=5,
               disable=not main_rank)
    loss_avg = None
    while step < a.steps:
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.steps, a.lr, a.lr_min)
        x = torch.from_numpy(sampler.batch(a.batch // world)).float().to(a.device)
        with torch.autocast(amp_device, dtype=torch.bfloat16, enabled=a.bf16):
            y = net(x)
        loss = torch.mean((y.float() - x) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        wall += time.time() - t0
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        bar.update(1)
        bar.set_postfix(train_psnr=f"{10 * np.log10(255 ** 2 / loss_avg):.2f}")
        if step % a.ckpt_every == 0 or step == a.steps:
            save()
        if main_rank and (step % a.val_every == 0 or step == a.steps):
            v = validate()
            rec = {"step": step, "wall_s": round(wall, 1), "lr": opt.param_groups[0]["lr"],
                   "train_psnr": round(10 * np.log10(255 ** 2 / loss_avg), 3), "val_psnr": round(v, 3)}
            record(log, val_csv, rec)
            tqdm.write(json.dumps(rec))
    bar.close()
    if main_rank:
        _plot(val_csv, os.path.join(a.out, "val.png"))
        print(f"done: {step} steps, {wall / 60:.1f} min; checkpoint {ckpt_path}")
    if world > 1:
        dist.destroy_process_group()


def _plot(csv_path, png_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    steps = [int(r["step"]) for r in rows]
    plt.figure(figsize=(6, 4))
    plt.plot(steps, [float(r["train_psnr"]) for r in rows], label="train (crops, running mean)")
    plt.plot(steps, [float(r["val_psnr"]) for r in rows], label="validation (held-back train images)")
    plt.xlabel("step")
    plt.ylabel("PSNR (dB)")
    plt.grid(alpha=0.3)
    plt.legend()
    plt.tight_layout()
    plt.savefig(png_path, dpi=100)


if __name__ == "__main__":
    main()
