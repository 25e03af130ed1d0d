#!/usr/bin/env python3
"""Export a trained progressive residual-VQ checkpoint to models/<name>/: encoder.onnx,
decoder.onnx, codebooks.npy (Hamming-ordered), model.json, weights.pt (for --init-from).

Checks the run-time codec (onnxruntime + numpy quantiser) against PyTorch on a Kodak image
(refuses a latent or image difference > 1e-3, or fewer than 99 % identical indices). Then add
the Kodak figures:

  apps/export_rvq.py --run runs/progressive-vq --name progressive-vq
  apps/evaluate.py --model progressive-vq --groups all --images ../shared/data/kodak --update-card
  apps/evaluate.py --model progressive-vq --stages all --ber 0 1e-4 1e-3 1e-2 3e-2 \\
      --images ../shared/data/kodak --json docs/results/kodak_rvq_ber.json
"""
import argparse
import datetime
import json
import os
import shutil
import sys

import torch

from gnuradio.jscc.imageio import load_rgb
from gnuradio.jscc.training.loop import run_card_fields
from gnuradio.jscc.training.rvq import ProgressiveRVQ
from gnuradio.jscc.training.rvq_export import export_model

HERE = os.path.dirname(os.path.abspath(__file__))
TOL, MIN_AGREEMENT = 1e-3, 0.99
MODEL_ID = 88  # progressive codecs take 80 and up (docs/codecs.md); 80: the progressive hyperprior


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="training run folder (checkpoint.pt)")
    ap.add_argument("--name", required=True)
    ap.add_argument("--models", default=os.path.join(HERE, "..", "models"))
    ap.add_argument("--check-image", default=os.path.join(HERE, "..", "examples", "images", "kodim23.png"))
    ap.add_argument("--model-id", type=int, default=MODEL_ID)
    a = ap.parse_args(argv)
    if not 0 <= a.model_id <= 255:
        sys.exit(f"model_id {a.model_id} is outside 0..255; nothing written")
    path = os.path.join(a.run, "checkpoint.pt")
    if not os.path.isfile(path):
        sys.exit(f"no checkpoint at {path}")
    ck = torch.load(path, map_location="cpu", weights_only=False)
    run = ck["args"]
    model = ProgressiveRVQ(run["channels"], run["dim"], run["codebook"], run["stages"], kmeans_init=False)
    model.load_state_dict(ck["model"])
    model.eval()

    os.makedirs(a.models, exist_ok=True)
    out = os.path.join(a.models, a.name)
    for d in os.listdir(a.models):
        p = os.path.join(a.models, d, "model.json")
        if d != a.name and os.path.isfile(p):
            with open(p) as f:
                if json.load(f).get("model_id") == a.model_id:
                    sys.exit(f"model_id {a.model_id} is taken by {d}; nothing written")
    card = {
        "name": a.name,
        "model_id": a.model_id,
        "architecture": f"conv autoencoder f16 (conv5x5/2 x4 with a residual block, LeakyReLU; mirrored with "
                        f"tconv5x5/2), N = {model.n}, latent D = {model.dim}; residual VQ (vector-quantize-pytorch "
                        f"ResidualVQ, EMA codebooks) {model.stages} stages x {model.codebook} codewords "
                        f"(python/jscc/training/rvq.py)",
        "loss": f"MSE ([0, 1]) + {run.get('commitment', 0.25)} x commitment (summed over the stages); "
                f"quantizer dropout over stages; bit flips on the indices "
                f"for {run['ber_fraction']:g} of the examples, BER log-uniform in [1e-4, {run['ber_max']:g}]",
        "training_data": f"../shared/data/train (BSDS500 + ImageNet sample), random {run['crop']}x{run['crop']} crops "
                         f"with horizontal flips; {run.get('train_images')} images, validation held back: "
                         f"{', '.join(run.get('val_images', []))}",
        "optimizer": f"Adam, batch {run['batch']}, lr {run['lr']} cosine to {run['lr_min']}, grad norm clip {run['clip']}",
        "precision": "bfloat16 autocast (convolutions), float32 quantiser" if run.get("bf16") else "float32",
        **run_card_fields(ck, "apps/export_rvq.py", argv),
        "exported": datetime.date.today().isoformat(),
    }
    if os.path.isfile(os.path.join(out, "model.json")):  # keep measured figures across re-exports
        with open(os.path.join(out, "model.json")) as f:
            card["kodak_rd"] = json.load(f).get("kodak_rd", {})
    card = export_model(model, out, card, check_image=load_rgb(a.check_image))
    if card["onnx_parity_max_abs_diff"] > TOL or card["index_agreement"] < MIN_AGREEMENT:
        shutil.rmtree(out + ".rejected", ignore_errors=True)
        os.replace(out, out + ".rejected")
        sys.exit(f"parity check failed (difference {card['onnx_parity_max_abs_diff']:.2e} > {TOL} or index agreement "
                 f"{card['index_agreement']} < {MIN_AGREEMENT}); moved to {out}.rejected")
    # the PyTorch weights (codebooks already in shipped order): a later run warm-starts from them
    # with --init-from models/<name>/weights.pt (run folders do not outlive a checkout)
    torch.save({"model": model.state_dict(), "args": run, "step": ck["step"]}, os.path.join(out, "weights.pt"))
    ia = card["index_assignment"]
    print(f"ONNX vs PyTorch: max abs difference {card['onnx_parity_max_abs_diff']:.2e}, "
          f"indices identical {100 * card['index_agreement']:.2f} %")
    print(f"one-bit-flip distortion per stage, Hamming order vs random order: "
          f"{ia['flip_distortion_per_stage']} vs {ia['flip_distortion_random_order']}")
    print(f"wrote {out}; add the Kodak figures with apps/evaluate.py (--groups all --update-card; --stages all --ber ...)")


if __name__ == "__main__":
    main()
