#!/usr/bin/env python3
"""Train a Deep JSCC model on CPU or GPU, resumable: the paper's (Bourtsoulatze et al. 2019, one
SNR per model) or, with --arch adaptive, our SNR-adaptive one (docs/adaptive.md: one model per
k/n for a range of SNRs, each example at its own SNR ~ U(--snr-range), the SNR given to the
encoder and the decoder; --rayleigh-mix sends that fraction of the examples through slow
Rayleigh fading, the transmitter knowing only the average SNR).

Examples (the shipped deepjscc-kn6-awgn-10db; the adaptive kn6 model):
  apps/train_deepjscc.py --kn 6 --channel awgn --snr 10 --steps 40000 --out runs/kn6-awgn-10db
  apps/train_deepjscc.py --arch adaptive --kn 6 --bf16 --steps 16000 --out runs/adaptive-kn6

Re-running the same command resumes from <out>/checkpoint.pt. Writes <out>/train.log
(JSON lines), <out>/val.csv and <out>/val.png (validation PSNR over steps).

--bf16 runs the convolutions under bfloat16 autocast (power normalisation, channel and loss
stay float32); on these CPUs (AMX) a step is ~1.8x faster at the same validation PSNR
(docs/training.md). Validation: PSNR on the held-back images' 256x256 centres, at --snr (paper)
or at each --val-snr with fixed noise (adaptive: val.csv has val_psnr, their mean, and
val_psnr_<snr>db). Runs unchanged under torchrun (DistributedDataParallel: gloo on CPU,
nccl on GPU); --batch is the global batch, split over the processes:
  torchrun --nproc-per-node 2 apps/train_deepjscc.py --kn 6 --snr 10 --steps 100 --out runs/ddp
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from tqdm import tqdm

from gnuradio.jscc.training import adaptive
from gnuradio.jscc.training.channels import CHANNELS, noise_std
from gnuradio.jscc.training.data import center_crops
from gnuradio.jscc.training.deepjscc import build
from gnuradio.jscc.training.loop import Run, record

ARCHS = ("paper", "adaptive")
VAL_SNRS = (1.0, 4.0, 7.0, 10.0, 13.0, 19.0)  # the Kodak evaluation's SNRs


def psnr(a, b):
    mse = torch.mean((a.round().clamp(0, 255) - b) ** 2).item()
    return 10 * np.log10(255 ** 2 / max(mse, 1e-10))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kn", type=int, required=True, help="bandwidth ratio k/n = 1/KN (6 or 12)")
    ap.add_argument("--arch", choices=ARCHS, default="paper", help="paper: one SNR per model; adaptive: docs/adaptive.md")
    ap.add_argument("--channel", choices=sorted(CHANNELS), default="awgn", help="paper arch (adaptive: awgn, "
                    "fading through --rayleigh-mix)")
    ap.add_argument("--snr", type=float, default=10.0, help="paper arch: training SNR in dB (average SNR for rayleigh)")
    g = ap.add_argument_group("adaptive arch")
    g.add_argument("--snr-range", type=float, nargs=2, default=(0.0, 20.0), metavar=("LO", "HI"),
                   help="per-example SNR ~ U(LO, HI) dB")
    g.add_argument("--rayleigh-mix", type=float, default=0.0, help="fraction of examples through slow Rayleigh fading")
    g.add_argument("--widths", type=int, nargs=3, default=adaptive.WIDTHS, metavar=("N1", "N2", "N3"),
                   help="channels of the stages at 1/2, 1/4, 1/8 of the side")
    g.add_argument("--val-snr", type=float, nargs="+", default=VAL_SNRS, help="validation SNRs (dB)")
    ap.add_argument("--clip", type=float, help="gradient norm clip (0: none; default: none paper, 1 adaptive)")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "train"))
    ap.add_argument("--out", required=True, help="run folder: checkpoints, logs")
    ap.add_argument("--steps", type=int, default=40000)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--lr", type=float, help="peak learning rate (default 1e-3 paper, 5e-4 adaptive: 2e-3 diverged)")
    ap.add_argument("--lr-min", type=float, default=1e-5)
    ap.add_argument("--init-from", help="checkpoint to warm-start from (matching tensors only)")
    ap.add_argument("--val-every", type=int, default=1000)
    ap.add_argument("--ckpt-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the convolutions")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args(argv)
    defaults = {"paper": dict(lr=1e-3, clip=0.0), "adaptive": dict(lr=5e-4, clip=1.0)}[a.arch]
    for k, v in defaults.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    down = adaptive.DOWN if a.arch == "adaptive" else 4
    if a.arch == "adaptive" and a.channel != "awgn":
        ap.error("--arch adaptive trains on AWGN; mix in slow Rayleigh fading with --rayleigh-mix")
    if a.crop % down:
        ap.error(f"--crop must be a multiple of {down}")

    run = Run(a, ap, "apps/train_deepjscc.py")
    val = [torch.from_numpy(v).float()[None].to(a.device) for v in center_crops(run.val_paths, 256, down)]
    model = build(vars(a)).to(a.device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    step, wall, net = run.start(model, opt, a.init_from)
    meta = run.write_meta(a, argv)

    def validate():
        """{column: PSNR}: val_psnr, and for the adaptive arch val_psnr_<snr>db at every --val-snr."""
        model.eval()
        with torch.no_grad():
            if a.arch == "paper":
                out = {"val_psnr": float(np.mean([psnr(model(x), x) for x in val]))}
            else:
                out = {f"val_psnr_{s:g}db": validate_at(model, val, s) for s in a.val_snr}
                out = {"val_psnr": float(np.mean(list(out.values()))), **out}
        model.train()
        return out

    log, val_csv, bar = run.progress(a, step)
    loss_avg = None
    while step < a.steps:
        t0 = time.time()
        x = run.next_batch(a, opt, step)
        with torch.autocast(run.amp_device, dtype=torch.bfloat16, enabled=a.bf16):
            y = net(x)
        loss = torch.mean((y.float() - x) ** 2)
        opt.zero_grad()
        loss.backward()
        if a.clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        step += 1
        wall += time.time() - t0
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        bar.update(1)
        bar.set_postfix(train_psnr=f"{10 * np.log10(255 ** 2 / loss_avg):.2f}")
        if step % a.ckpt_every == 0 or step == a.steps:
            run.save(model, opt, step, wall, meta)
        if run.main and (step % a.val_every == 0 or step == a.steps):
            rec = {"step": step, "wall_s": round(wall, 1), "lr": opt.param_groups[0]["lr"],
                   "train_psnr": round(10 * np.log10(255 ** 2 / loss_avg), 3),
                   **{k: round(v, 3) for k, v in validate().items()}}
            record(log, val_csv, rec)
            tqdm.write(json.dumps(rec))
    bar.close()
    run.finish(a, step, wall, _plot)


def validate_at(model, val, snr_db):
    """Mean PSNR of the adaptive model on the validation crops at one SNR, with the same noise at
    every validation (a generator seeded by the SNR): the curve moves only with the weights."""
    g = torch.Generator().manual_seed(int(round(snr_db * 1000)) & 0x7FFFFFFF)
    out = []
    for x in val:
        s = torch.full((x.shape[0], 1), float(snr_db), device=x.device)
        z = model.encoder(x, s)
        n = torch.randn(z.shape, generator=g).to(z.device)
        out.append(psnr(model.decoder(z + noise_std(snr_db) * n, s), x))
    return float(np.mean(out))


def _plot(rows, last, png_path):
    """val.png: training and validation PSNR per step (Run.finish calls it)."""
    import matplotlib.pyplot as plt
    steps = [int(r["step"]) for r in rows]
    plt.figure(figsize=(6, 4))
    plt.plot(steps, [float(r["train_psnr"]) for r in rows], label="train (crops, running mean)")
    per_snr = [k for k in rows[0] if k.startswith("val_psnr_")]
    plt.plot(steps, [float(r["val_psnr"]) for r in rows], label="validation (held-back train images)"
             + (", mean over SNRs" if per_snr else ""))
    for k in per_snr:
        plt.plot(steps, [float(r[k]) for r in rows], "--", lw=1, label=f"validation {k[len('val_psnr_'):-2]} dB")
    plt.xlabel("step")
    plt.ylabel("PSNR (dB)")
    plt.grid(alpha=0.3)
    plt.legend()
    plt.tight_layout()
    plt.savefig(png_path, dpi=100)


if __name__ == "__main__":
    main()
