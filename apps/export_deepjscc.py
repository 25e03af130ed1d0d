#!/usr/bin/env python3
"""Export a trained Deep JSCC checkpoint to models/<name>/ (encoder.onnx, decoder.onnx, model.json).

Checks ONNX against PyTorch on a Kodak image (max abs reconstruction difference, [0, 1] units)
and refuses to write a model that fails the check (> 1e-3).

  apps/export_deepjscc.py --run runs/kn6-awgn-10db --name deepjscc-kn6-awgn-10db
"""
import argparse
import datetime
import json
import os
import shutil
import sys

import numpy as np
import onnxruntime as ort
import torch

from gnuradio.jscc.imageio import load_rgb
from gnuradio.jscc.training.channels import CHANNELS
from gnuradio.jscc.training.deepjscc import DeepJSCC, c_for_kn
from gnuradio.jscc.training.export import export_onnx, fast_decoder, fast_encoder
from gnuradio.jscc.training.loop import run_card_fields

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="training run folder (checkpoint.pt, run.json)")
    ap.add_argument("--name", required=True)
    ap.add_argument("--models", default=os.path.join(HERE, "..", "models"))
    ap.add_argument("--check-image", default=os.path.join(HERE, "..", "examples", "images", "kodim23.png"))
    ap.add_argument("--model-id", type=int, help="the card's 8-bit id (default: the old card's, else the next free one)")
    a = ap.parse_args(argv)

    ck = torch.load(os.path.join(a.run, "checkpoint.pt"), map_location="cpu", weights_only=False)
    run = ck["args"]
    c = c_for_kn(run["kn"])
    model = DeepJSCC(c, CHANNELS[run["channel"]](run["snr"]))
    model.load_state_dict(ck["model"])
    model.eval()

    out = os.path.join(a.models, a.name)
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    enc_path, dec_path = os.path.join(tmp, "encoder.onnx"), os.path.join(tmp, "decoder.onnx")
    # the PyTorch weights too (a few hundred kB): lets tests check ONNX against PyTorch
    torch.save({"c": c, "model": model.state_dict()}, os.path.join(tmp, "weights.pt"))
    opset_e = export_onnx(fast_encoder(model.encoder), torch.rand(1, 3, 64, 96) * 255, enc_path, "image", "latent")
    opset_d = export_onnx(fast_decoder(model.decoder), torch.randn(1, c, 16, 24), dec_path, "latent", "image")

    # Parity on a real image, without noise: ONNX (rewritten graphs) vs the PyTorch training graph.
    img = load_rgb(a.check_image)
    h, w = img.shape[0] // 4 * 4, img.shape[1] // 4 * 4
    x = np.ascontiguousarray(img[:h, :w].transpose(2, 0, 1)[None], np.float32)
    with torch.no_grad():
        ref = model.decoder(model.encoder(torch.from_numpy(x))).numpy()
    z = ort.InferenceSession(enc_path, providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    y = ort.InferenceSession(dec_path, providers=["CPUExecutionProvider"]).run(None, {"latent": z})[0]
    diff = float(np.abs(y - ref).max() / 255)
    print(f"ONNX vs PyTorch on {os.path.basename(a.check_image)}: max abs difference {diff:.2e} ([0, 1] units)")
    if diff > TOL:
        shutil.rmtree(tmp)
        sys.exit(f"parity check failed ({diff:.2e} > {TOL}); nothing written")

    old = {}
    if os.path.isfile(os.path.join(out, "model.json")):
        with open(os.path.join(out, "model.json")) as f:
            old = json.load(f)
    taken = {}
    for d in os.listdir(a.models):
        p = os.path.join(a.models, d, "model.json")
        if d != a.name and os.path.isfile(p):
            with open(p) as f:
                taken[json.load(f).get("model_id")] = d
    model_id = a.model_id if a.model_id is not None else old.get("model_id")
    if model_id is None:  # Deep JSCC models take 1..63 (docs/codecs.md)
        model_id = next(i for i in range(1, 64) if i not in taken)
    if model_id in taken or not 0 <= model_id <= 255:
        shutil.rmtree(tmp)
        sys.exit(f"model_id {model_id} is taken by {taken.get(model_id)} or outside 0..255; nothing written")
    card = {
        "name": a.name,
        "codec": "deepjscc",
        "model_id": model_id,
        "architecture": "Bourtsoulatze et al. 2019, Fig. 2: encoder conv5x5 16/2, 32/2, 32/1, 32/1, c/1 + PReLU, "
                        "power normalisation P = 1; decoder mirrored with transposed convs, PReLU, sigmoid, x255. "
                        "Exported as equal onnxruntime-friendly graphs (python/jscc/training/export.py): "
                        "transposed convs as convs on phase maps, PReLU as depthwise convs + Relu",
        "c": c,
        "kn": run["kn"],
        "k_over_n": f"1/{run['kn']}",
        "symbols": "c/2 * ceil(H/4) * ceil(W/4) complex symbols per image, mean power 1",
        "channel": run["channel"] + (" (slow block fading, h ~ CN(0,1) per image, phase known at the receiver)"
                                     if run["channel"] == "rayleigh" else ""),
        "snr_train_db": run["snr"],
        "training_data": "../shared/data/train (BSDS500 + ImageNet sample), random 128x128 crops with "
                         f"horizontal flips; {run.get('train_images')} images, validation held back: "
                         f"{', '.join(run.get('val_images', []))}",
        "optimizer": f"Adam, batch {run['batch']}, lr {run['lr']} cosine to {run['lr_min']}, MSE loss",
        "precision": "bfloat16 autocast (convolutions), float32 power normalisation, channel and loss"
                     if run.get("bf16") else "float32",
        **run_card_fields(ck, "apps/export_deepjscc.py", argv),
        "onnx_opset": {"encoder": opset_e, "decoder": opset_d},
        "onnx_parity_max_abs_diff": diff,
        "exported": datetime.date.today().isoformat(),
        "kodak": old.get("kodak", {}),
    }
    with open(os.path.join(tmp, "model.json"), "w") as f:
        json.dump(card, f, indent=1)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    print(f"wrote {out} (opset {opset_e}/{opset_d}); run apps/evaluate.py --update-card to add Kodak figures")


if __name__ == "__main__":
    main()
