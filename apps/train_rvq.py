#!/usr/bin/env python3
"""Train the progressive residual-VQ autoencoder (python/jscc/training/rvq.py), resumable.

Loss: MSE ([0, 1] scale) + commitment (--commitment per stage, summed over the stages), plus
with --gan-weight W a patch-adversarial hinge term (a small spectral-norm PatchGAN, trained beside the codec from --gan-start on; its
state in <out>/discriminator.pt). Every batch decodes a random prefix of stages
(quantizer dropout); half the examples see their indices' bits flipped at a BER drawn
log-uniformly in [1e-4, --ber-max]. The codebooks are put in Hamming-aware order at every
validation (and at export). Adam, cosine learning rate, gradient norm clipped. Trains on
../shared/data/train only (random crops, horizontal flips); every 200th image is held back;
validation reports PSNR for every prefix of stages and for all stages at BER 1e-3 and 1e-2.

  apps/train_rvq.py --bf16 --threads 1 --out runs/progressive-vq      # docs/rvq.md: expected time

Re-running the same command resumes from <out>/checkpoint.pt. Writes <out>/train.log (JSON
lines, every prefix), <out>/val.csv and <out>/val.png. Runs unchanged under torchrun.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from tqdm import tqdm

from gnuradio.jscc.training import rvq
from gnuradio.jscc.training.data import center_crops
from gnuradio.jscc.training.loop import Run, record, save_atomic

VAL_CROP = 256
VAL_BERS = (1e-3, 1e-2)


def psnr_of(mse):
    return float(10 * np.log10(255 ** 2 / max(mse, 1e-10)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "train"))
    ap.add_argument("--out", required=True, help="run folder: checkpoints, logs")
    ap.add_argument("--steps", type=int, default=40000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128, help="training crop side (a multiple of 16)")
    ap.add_argument("--channels", type=int, default=rvq.N, help="convolution channels N")
    ap.add_argument("--latent-dim", dest="dim", type=int, default=rvq.DIM, help="latent / codeword dimension D")
    ap.add_argument("--codebook", type=int, default=rvq.CODEBOOK, help="codewords per stage (a power of two)")
    ap.add_argument("--stages", type=int, default=rvq.STAGES)
    ap.add_argument("--commitment", type=float, default=rvq.COMMITMENT,
                    help="commitment weight per stage (the loss sums it over the stages)")
    ap.add_argument("--ber-max", type=float, default=rvq.BER_MAX, help="largest training BER on the indices (0: none)")
    ap.add_argument("--ber-fraction", type=float, default=rvq.BER_FRACTION, help="share of examples with bit flips")
    ap.add_argument("--gan-weight", type=float, default=0.0, help="weight of the patch-adversarial term (0: off)")
    ap.add_argument("--gan-start", type=int, default=10000, help="step from which the adversarial term is on")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--lr-min", type=float, default=1e-5)
    ap.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    ap.add_argument("--init-from", help="checkpoint to warm-start from (matching tensors only)")
    ap.add_argument("--val-every", type=int, default=1000)
    ap.add_argument("--ckpt-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the convolutions (quantiser float32)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args(argv)
    if a.crop % rvq.DOWN:
        ap.error(f"--crop must be a multiple of {rvq.DOWN}")
    if a.codebook < 2 or a.codebook & (a.codebook - 1):
        ap.error("--codebook must be a power of two (every bit pattern a valid index)")
    if a.stages < 1 or not 0 <= a.ber_max < 0.5 or not 0 <= a.ber_fraction <= 1:
        ap.error("--stages >= 1, 0 <= --ber-max < 0.5, 0 <= --ber-fraction <= 1")

    run = Run(a, ap, "apps/train_rvq.py")
    val = []
    for v in center_crops(run.val_paths, VAL_CROP):
        s = min(v.shape[1:]) // rvq.DOWN * rvq.DOWN
        if s:
            val.append(torch.from_numpy(np.ascontiguousarray(v[:, :s, :s])).float()[None].to(a.device))
    model = rvq.ProgressiveRVQ(a.channels, a.dim, a.codebook, a.stages, commitment=a.commitment).to(a.device)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    step, wall, net = run.start(model, opt, a.init_from)
    meta = run.write_meta(a, argv)
    disc = d_opt = None
    disc_path = os.path.join(a.out, "discriminator.pt")
    if a.gan_weight > 0:
        disc = rvq.PatchDiscriminator().to(a.device)
        d_opt = torch.optim.Adam(disc.parameters(), lr=a.lr, betas=(0.5, 0.9))
        if os.path.exists(disc_path) and step:
            ck = torch.load(disc_path, map_location=a.device, weights_only=False)
            disc.load_state_dict(ck["disc"])
            d_opt.load_state_dict(ck["opt"])
    val_gen = torch.Generator(device=a.device)

    @torch.no_grad()
    def validate():
        """PSNR per prefix of stages 1..S and, all stages, per VAL_BERS; stage-1 codebook use."""
        model.eval()
        model.reorder()
        val_gen.manual_seed(0)  # the same flips at every validation
        per, noisy, used = [], [], np.zeros(a.codebook)
        for x in val:
            _, idx, _ = model.quantise(model.encoder(x))
            per.append([psnr_of(torch.mean((model.decoder(model.from_indices(idx[..., :s])).clamp(0, 255) - x) ** 2)
                                .item()) for s in range(1, a.stages + 1)])
            noisy.append([psnr_of(torch.mean((model.decoder(model.from_indices(
                rvq.flip_bits(idx, b, model.bits, val_gen))).clamp(0, 255) - x) ** 2).item()) for b in VAL_BERS])
            used += np.bincount(idx[..., 0].flatten().cpu().numpy(), minlength=a.codebook)
        model.train()
        p = used / used.sum()
        perplexity = float(np.exp(-(p[p > 0] * np.log(p[p > 0])).sum()))
        return np.mean(per, 0), np.mean(noisy, 0), perplexity

    log, val_csv, bar = run.progress(a, step)
    avg = None
    while step < a.steps:
        t0 = time.time()
        x = run.next_batch(a, opt, step)
        ber = rvq.training_ber(x.shape[0], run.rng, a.ber_max, a.ber_fraction)
        use_gan = disc is not None and step >= a.gan_start
        with torch.autocast(run.amp_device, dtype=torch.bfloat16, enabled=a.bf16):
            loss, mse, d_loss = rvq.loss_fn(model, x, None if ber is None else ber.to(a.device), net,
                                            disc if use_gan else None, a.gan_weight)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip)
        opt.step()
        if use_gan:  # the discriminator's own step; the codec's backward left gradients on it
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
        step += 1
        wall += time.time() - t0
        cur = np.array([loss.item(), mse.item()])
        avg = cur if avg is None else 0.98 * avg + 0.02 * cur
        bar.update(1)
        bar.set_postfix(loss=f"{avg[0]:.4f}", psnr=f"{psnr_of(avg[1]):.2f}", s_step=f"{wall / max(step, 1):.2f}")
        if run.main and (step % a.val_every == 0 or step == a.steps):
            per, noisy, perplexity = validate()
            rec = {"step": step, "wall_s": round(wall, 1), "lr": opt.param_groups[0]["lr"],
                   "train_loss": round(float(avg[0]), 5), "train_psnr": round(psnr_of(avg[1]), 3),
                   "val_bpp": round(a.stages * model.bits / rvq.DOWN ** 2, 4), "val_psnr": round(float(per[-1]), 3),
                   "val_bpp_s1": round(model.bits / rvq.DOWN ** 2, 4), "val_psnr_s1": round(float(per[0]), 3),
                   **{f"val_psnr_ber{b:g}": round(float(q), 3) for b, q in zip(VAL_BERS, noisy)},
                   "stage1_perplexity": round(perplexity, 1)}
            record(log, val_csv, rec, {"val_prefixes": [round(float(p), 3) for p in per]})
            tqdm.write(json.dumps(rec))
        if step % a.ckpt_every == 0 or step == a.steps:  # after validation: the saved codebooks are ordered
            if disc is not None and run.main:
                save_atomic({"disc": disc.state_dict(), "opt": d_opt.state_dict(), "step": step}, disc_path)
            run.save(model, opt, step, wall, meta)
    bar.close()
    run.finish(a, step, wall, _plot)


def _plot(rows, last, png_path):
    """val.png: validation curves, and the prefixes at the last validation (Run.finish calls it)."""
    import matplotlib.pyplot as plt
    steps = [int(r["step"]) for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.plot(steps, [float(r["val_psnr"]) for r in rows], label="all stages")
    ax1.plot(steps, [float(r["val_psnr_s1"]) for r in rows], label="first stage")
    for b in VAL_BERS:
        ax1.plot(steps, [float(r[f"val_psnr_ber{b:g}"]) for r in rows], "--", label=f"all stages, BER {b:g}")
    ax1.set_xlabel("step")
    ax1.set_ylabel("validation PSNR (dB)")
    ax1.legend(fontsize=8)
    pts = last["val_prefixes"]
    bpp = [(s + 1) * last["val_bpp_s1"] for s in range(len(pts))]
    ax2.plot(bpp, pts, "o-", label=f"step {last['step']}: prefixes of 1..{len(pts)} stages")
    ax2.set_xlabel("bpp (fixed-length indices)")
    ax2.set_ylabel("PSNR (dB)")
    ax2.legend(fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)


if __name__ == "__main__":
    main()
