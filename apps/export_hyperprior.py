#!/usr/bin/env python3
"""Export a trained progressive hyperprior checkpoint to models/<name>/: encoder.onnx,
hyper_encoder.onnx, decoder.onnx, entropy.npz (integer h_s + coding tables), model.json.

Calibrates the integer h_s on held-back-free training crops, checks ONNX against PyTorch on a
Kodak image (refuses > 1e-3, [0, 1] units) and measures what the integer h_s costs against the
float one on the example images (real bitstreams). Then add the Kodak rate-distortion:

  apps/export_hyperprior.py --run runs/progressive-hyperprior --name progressive-hyperprior
  apps/evaluate.py --model models/progressive-hyperprior --groups all --images ../shared/data/kodak \\
      --json docs/results/kodak_progressive_rd.json --update-card
"""
import argparse
import datetime
import json
import os
import sys

import torch

from gnuradio.jscc import codecs
from gnuradio.jscc.imageio import list_images, load_rgb
from gnuradio.jscc.models import save_card
from gnuradio.jscc.training.data import center_crops, split_holdout
from gnuradio.jscc.training.hyperprior import ProgressiveHyperprior
from gnuradio.jscc.training.hyperprior_export import export_model, measure_integer_cost
from gnuradio.jscc.training.loop import run_card_fields

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-3
MODEL_ID = 80


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="training run folder (checkpoint.pt)")
    ap.add_argument("--name", required=True)
    ap.add_argument("--models", default=os.path.join(HERE, "..", "models"))
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "shared", "data", "train"),
                    help="training images: the integer h_s is calibrated on some of them")
    ap.add_argument("--calib", type=int, default=32, help="calibration images (256x256 centre crops)")
    ap.add_argument("--check-image", default=os.path.join(HERE, "..", "examples", "images", "kodim23.png"))
    ap.add_argument("--model-id", type=int, default=MODEL_ID)
    a = ap.parse_args(argv)

    ck = torch.load(os.path.join(a.run, "checkpoint.pt"), map_location="cpu", weights_only=False)
    run = ck["args"]
    model = ProgressiveHyperprior(run["n"], run["m"], tuple(run["groups"]))
    model.load_state_dict(ck["model"])
    model.eval()
    # calibrate on training images (nested by source: walked), never on validation or Kodak
    train, _ = split_holdout(list_images(a.data, recursive=True))
    calib = [c.transpose(1, 2, 0) for c in center_crops(train[::max(len(train) // a.calib, 1)][:a.calib], 256)]
    if not calib:  # an empty calibration would give h_s's integer scales from nothing
        sys.exit(f"--data {a.data}: no training images to calibrate the integer h_s on")

    os.makedirs(a.models, exist_ok=True)
    out = os.path.join(a.models, a.name)
    old = {}
    if os.path.isfile(os.path.join(out, "model.json")):
        with open(os.path.join(out, "model.json")) as f:
            old = json.load(f)
    for d in os.listdir(a.models):
        p = os.path.join(a.models, d, "model.json")
        if d != a.name and os.path.isfile(p):
            with open(p) as f:
                if json.load(f).get("model_id") == a.model_id:
                    sys.exit(f"model_id {a.model_id} is taken by {d}; nothing written")
    card = {
        "name": a.name,
        "model_id": a.model_id,
        "architecture": "mean-scale hyperprior (Minnen et al. 2018 without context model), simplified GDN "
                        "(Johnston et al. 2019); g_a conv5x5/2 x4, h_a conv3x3 + conv5x5/2 x2, h_s tconv5x5/2 x2 + "
                        f"conv3x3 -> means and log-scales, g_s tconv5x5/2 x4; N = {model.n}, M = {model.m}; "
                        "ProgDTD tail-drop over channel groups (python/jscc/training/hyperprior.py)",
        "lambda": run["lam"],
        "loss": "bits/pixel + lambda * MSE (0..255), expected over prefixes of groups ~ U{1..G}",
        "training_data": f"../shared/data/train (BSDS500 + ImageNet sample), random {run['crop']}x{run['crop']} crops "
                         f"with horizontal flips; {run.get('train_images')} images, validation held back: "
                         f"{', '.join(run.get('val_images', []))}",
        "optimizer": f"Adam, batch {run['batch']}, lr {run['lr']} cosine to {run['lr_min']}, grad norm clip {run['clip']}",
        "precision": "bfloat16 autocast (convolutions), float32 entropy model" if run.get("bf16") else "float32",
        **run_card_fields(ck, "apps/export_hyperprior.py", argv),
        "exported": datetime.date.today().isoformat(),
        "bitstream": "chunk 0 = LEB128(z stream bytes) | z stream | group 0 stream; chunk g = group g stream; "
                     "each stream: constriction ANS 32-bit words, little endian (docs/progressive.md)",
        "kodak_rd": old.get("kodak_rd", {}),
    }
    card = export_model(model, out, calib, card, check_image=load_rgb(a.check_image))
    if card["onnx_parity_max_abs_diff"] > TOL:
        os.rename(out, out + ".rejected")
        sys.exit(f"parity check failed ({card['onnx_parity_max_abs_diff']:.2e} > {TOL}); moved to {out}.rejected")
    examples = [load_rgb(p) for p in list_images(os.path.join(HERE, "..", "examples", "images"))]
    cost = measure_integer_cost(codecs.load(out), model, examples)
    card["integer_hs"]["cost_vs_float_on_examples"] = cost
    save_card(out, card)
    # a later run warm-starts from these with --init-from (run folders do not outlive a checkout)
    torch.save({"model": model.state_dict(), "args": ck["args"], "step": ck["step"]}, os.path.join(out, "weights.pt"))
    print(f"ONNX vs PyTorch: max abs difference {card['onnx_parity_max_abs_diff']:.2e}")
    print(f"integer h_s vs float h_s on the example images: {json.dumps(cost)}")
    print(f"wrote {out}; add the Kodak rate-distortion with apps/evaluate.py --groups all --update-card")


if __name__ == "__main__":
    main()
