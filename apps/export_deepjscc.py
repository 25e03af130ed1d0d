#!/usr/bin/env python3
"""Export a trained Deep JSCC checkpoint to models/<name>/ (encoder.onnx, decoder.onnx, model.json):
the paper's architecture (codec "deepjscc") or the SNR-adaptive one (codec "deepjscc-adaptive",
graphs (image, snr_db) -> latent and (latent, snr_db) -> image; docs/adaptive.md).

Checks ONNX against PyTorch on a Kodak image (max abs reconstruction difference, [0, 1] units;
the adaptive model at the two ends and the middle of its SNR range) and refuses to write a model
that fails the check (> 1e-3).

  apps/export_deepjscc.py --run runs/kn6-awgn-10db --name deepjscc-kn6-awgn-10db
  apps/export_deepjscc.py --run runs/adaptive-kn6 --name deepjscc-adaptive-kn6 --model-id 63
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

from gnuradio.jscc.codecs.deepjscc import ADAPTIVE, CODEC
from gnuradio.jscc.imageio import load_rgb
from gnuradio.jscc.models import save_card
from gnuradio.jscc.training import adaptive
from gnuradio.jscc.training.deepjscc import build
from gnuradio.jscc.training.export import export_onnx, fast_decoder, fast_encoder, graph_gmac
from gnuradio.jscc.training.loop import run_card_fields

HERE = os.path.dirname(os.path.abspath(__file__))
TOL = 1e-3
REFERENCE_SNR_DB = 10.0  # adaptive cards: where the per-image check and engine deltas are measured


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="training run folder (checkpoint.pt, run.json)")
    ap.add_argument("--name", required=True)
    ap.add_argument("--models", default=os.path.join(HERE, "..", "models"))
    ap.add_argument("--check-image", default=os.path.join(HERE, "..", "examples", "images", "kodim23.png"))
    ap.add_argument("--model-id", type=int, help="the card's 8-bit id (default: the old card's, else the next free "
                    "one: upwards from 1 for the paper's models, downwards from 63 for the adaptive ones)")
    a = ap.parse_args(argv)

    ck = torch.load(os.path.join(a.run, "checkpoint.pt"), map_location="cpu", weights_only=False)
    run = ck["args"]
    snr_input = run.get("arch", "paper") == "adaptive"
    model = build(run)
    model.load_state_dict(ck["model"])
    model.eval()
    c, down = model.c, adaptive.DOWN if snr_input else 4

    out = os.path.join(a.models, a.name)
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    enc_path, dec_path = os.path.join(tmp, "encoder.onnx"), os.path.join(tmp, "decoder.onnx")
    # the PyTorch weights too (a few hundred kB, a few MB adaptive): lets tests check ONNX against PyTorch
    torch.save({"c": c, "model": model.state_dict(), "args": run}, os.path.join(tmp, "weights.pt"))
    img_in, lat_in = torch.rand(1, 3, 4 * down, 6 * down) * 255, torch.randn(1, c, 4, 6)
    if snr_input:
        enc, dec = adaptive.export_modules(model)
        snr = torch.full((1, 1), 10.0)
        opset_e = export_onnx(enc, (img_in, snr), enc_path, ("image", "snr_db"), "latent")
        opset_d = export_onnx(dec, (lat_in, snr), dec_path, ("latent", "snr_db"), "image")
    else:
        opset_e = export_onnx(fast_encoder(model.encoder), img_in, enc_path, "image", "latent")
        opset_d = export_onnx(fast_decoder(model.decoder), lat_in, dec_path, "latent", "image")

    # Parity on a real image, without noise: ONNX (rewritten graphs) vs the PyTorch training graph.
    img = load_rgb(a.check_image)
    h, w = img.shape[0] // down * down, img.shape[1] // down * down
    x = np.ascontiguousarray(img[:h, :w].transpose(2, 0, 1)[None], np.float32)
    lo, hi = run.get("snr_range", (0.0, 20.0))
    diff = parity(model, enc_path, dec_path, x, [lo, (lo + hi) / 2, hi] if snr_input else [None])
    print(f"ONNX vs PyTorch on {os.path.basename(a.check_image)}: max abs difference {diff:.2e} ([0, 1] units)")
    if diff > TOL:
        shutil.rmtree(tmp)
        sys.exit(f"parity check failed ({diff:.2e} > {TOL}); nothing written")
    gmac = {"encoder": round(graph_gmac(enc_path, 512, 768), 3),
            "decoder": round(graph_gmac(dec_path, 512 // down, 768 // down), 3)}
    gmac["total"] = round(gmac["encoder"] + gmac["decoder"], 3)

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
    if model_id is None:  # Deep JSCC models take 1..63 (docs/codecs.md); adaptive ones from the top
        model_id = next(i for i in (range(63, 0, -1) if snr_input else range(1, 64)) if i not in taken)
    if model_id in taken or not 0 <= model_id <= 255:
        shutil.rmtree(tmp)
        sys.exit(f"model_id {model_id} is taken by {taken.get(model_id)} or outside 0..255; nothing written")
    card = {"name": a.name, "codec": ADAPTIVE if snr_input else CODEC, "model_id": model_id,
            **(adaptive_fields(run, c) if snr_input else paper_fields(run, c)),
            "training_data": f"../shared/data/train (BSDS500 + ImageNet sample), random {run['crop']}x{run['crop']} "
                             f"crops with horizontal flips; {run.get('train_images')} images, validation held back: "
                             f"{', '.join(run.get('val_images', []))}",
            "optimizer": f"Adam, batch {run['batch']}, lr {run['lr']} cosine to {run['lr_min']}, MSE loss"
                         + (f", gradient norm clipped at {run['clip']}" if run.get("clip") else ""),
            "precision": "bfloat16 autocast (convolutions), float32 power normalisation, channel and loss"
                         if run.get("bf16") else "float32",
            **run_card_fields(ck, "apps/export_deepjscc.py", argv),
            "onnx_opset": {"encoder": opset_e, "decoder": opset_d},
            "onnx_parity_max_abs_diff": diff,
            "gmac_768x512": gmac,
            "exported": datetime.date.today().isoformat(),
            "kodak": old.get("kodak", {})}
    save_card(tmp, card)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    print(f"wrote {out} (opset {opset_e}/{opset_d}); run apps/evaluate.py --update-card to add Kodak figures")


def parity(model, enc_path, dec_path, x, snrs):
    """Max abs difference ([0, 1] units) between fp32 onnxruntime and PyTorch, noiseless, at each
    SNR (None: a graph without SNR input)."""
    enc = ort.InferenceSession(enc_path, providers=["CPUExecutionProvider"])
    dec = ort.InferenceSession(dec_path, providers=["CPUExecutionProvider"])
    worst = 0.0
    for s in snrs:
        extra = {} if s is None else {"snr_db": np.full((1, 1), s, np.float32)}
        args = () if s is None else (torch.from_numpy(extra["snr_db"]),)
        with torch.no_grad():
            ref = model.decoder(model.encoder(torch.from_numpy(x), *args), *args).numpy()
        z = enc.run(None, {"image": x, **extra})[0]
        y = dec.run(None, {"latent": z, **extra})[0]
        worst = max(worst, float(np.abs(y - ref).max() / 255))
    return worst


def paper_fields(run, c):
    return {
        "architecture": "Bourtsoulatze et al. 2019, Fig. 2: encoder conv5x5 16/2, 32/2, 32/1, 32/1, c/1 + PReLU, "
                        "power normalisation P = 1; decoder mirrored with transposed convs, PReLU, sigmoid, x255. "
                        "Exported as equal onnxruntime-friendly graphs (python/jscc/training/export.py): "
                        "transposed convs as convs on phase maps, PReLU as depthwise convs + Relu",
        "c": c, "kn": run["kn"], "k_over_n": f"1/{run['kn']}",
        "symbols": "c/2 * ceil(H/4) * ceil(W/4) complex symbols per image, mean power 1",
        "channel": run["channel"] + (" (slow block fading, h ~ CN(0,1) per image, phase known at the receiver)"
                                     if run["channel"] == "rayleigh" else ""),
        "snr_train_db": run["snr"]}


def adaptive_fields(run, c):
    lo, hi = run["snr_range"]
    mix = run.get("rayleigh_mix", 0.0)
    d = adaptive.DOWN
    return {
        "architecture": "SNR-adaptive Deep JSCC (docs/adaptive.md, python/jscc/training/adaptive.py): encoder "
                        f"conv5x5/2 {run['widths'][0]}, {run['widths'][1]}, {run['widths'][2]} with simplified GDN, "
                        "ResBlock, AF (SNR attention), conv5x5/2 c, AF, power normalisation P = 1; decoder AF, "
                        "ResBlock, sub-pixel conv3x3 up x4 stages with inverse GDN, ResBlock and AF at 1/8, "
                        "sigmoid, x255. SNR input (dB) to both graphs",
        "c": c, "kn": run["kn"], "k_over_n": f"1/{run['kn']}", "downsampling": d, "widths": list(run["widths"]),
        "symbols": f"c/2 * ceil(H/{d}) * ceil(W/{d}) complex symbols per image, mean power 1",
        "channel": f"awgn (snr ~ U({lo:g}, {hi:g}) dB)" + (
            f"; {mix:g} of the examples through slow Rayleigh fading (transmitter: the average SNR; receiver: "
            "h known, equalised, told the instantaneous SNR)" if mix else ""),
        "snr_range_db": [lo, hi],
        "decoder_snr_range_db": list(adaptive.decoder_snr_range(lo, hi, mix)),
        "snr_input": "encoder and decoder graphs take snr_db (batch, 1) in dB, clipped inside the graph to "
                     "snr_range_db (encoder) / decoder_snr_range_db (decoder); the encoder is given the "
                     "transmitter's CSI, the decoder the receiver's estimate",
        "snr_reference_db": REFERENCE_SNR_DB}


if __name__ == "__main__":
    main()
