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
import time

import numpy as np
import torch
from tqdm import tqdm

from gnuradio.jscc.training.channels import CHANNELS
from gnuradio.jscc.training.data import center_crops
from gnuradio.jscc.training.deepjscc import DeepJSCC, c_for_kn
from gnuradio.jscc.training.loop import Run, lr_at, record


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

    run = Run(a, ap, "apps/train_deepjscc.py")
    val = [torch.from_numpy(v).float()[None].to(a.device) for v in center_crops(run.val_paths, 256)]
    model = DeepJSCC(c_for_kn(a.kn), CHANNELS[a.channel](a.snr)).to(a.device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    step, wall, net = run.start(model, opt, a.init_from)
    meta = run.write_meta(a, argv)

    def validate():
        model.eval()
        with torch.no_grad():
            v = float(np.mean([psnr(model(x), x) for x in val]))
        model.train()
        return v

    log = open(os.path.join(a.out, "train.log"), "a") if run.main else None
    val_csv = os.path.join(a.out, "val.csv")
    bar = tqdm(total=a.steps, initial=step, desc=os.path.basename(a.out.rstrip("/")), mininterval=5,
               disable=not run.main)
    loss_avg = None
    while step < a.steps:
        t0 = time.time()
        for g in opt.param_groups:
            g["lr"] = lr_at(step, a.steps, a.lr, a.lr_min)
        x = torch.from_numpy(run.sampler.batch(a.batch // run.world)).float().to(a.device)
        with torch.autocast(run.amp_device, dtype=torch.bfloat16, enabled=a.bf16):
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
            run.save(model, opt, step, wall, meta)
        if run.main and (step % a.val_every == 0 or step == a.steps):
            v = validate()
            rec = {"step": step, "wall_s": round(wall, 1), "lr": opt.param_groups[0]["lr"],
                   "train_psnr": round(10 * np.log10(255 ** 2 / loss_avg), 3), "val_psnr": round(v, 3)}
            record(log, val_csv, rec)
            tqdm.write(json.dumps(rec))
    bar.close()
    if run.main:
        _plot(val_csv, os.path.join(a.out, "val.png"))
        print(f"done: {step} steps, {wall / 60:.1f} min; checkpoint {run.ckpt_path}")
    run.close()


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
