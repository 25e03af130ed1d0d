"""Export a ProgressiveRVQ to a model folder the run-time codec loads (codecs/rvq.py):
encoder.onnx, decoder.onnx, codebooks.npy (Hamming-ordered), model.json."""
import os
import shutil

import numpy as np
import torch

from ..codecs.rvq import CODEBOOK_FILE, CODEC, DOWN, ProgressiveVQ
from ..models import save_card
from .export import export_onnx
from .rvq import flip_distortion


def export_model(model, out, card, check_image=None):
    """Write out/ (replacing it). The codebooks are put in Hamming-aware order first (the model
    is changed in place; what it computes is not). With check_image: the parity figures of
    onnx_parity in the card. Returns the card."""
    model = model.eval()
    model.reorder()
    tmp = out.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    cb = model.codebooks().cpu().numpy().astype(np.float32)
    np.save(os.path.join(tmp, CODEBOOK_FILE), cb)
    s = 4 * DOWN
    opsets = {"encoder": export_onnx(model.encoder, torch.zeros(1, 3, s, s), os.path.join(tmp, "encoder.onnx"),
                                     "image", "latent"),
              "decoder": export_onnx(model.decoder, torch.zeros(1, model.dim, 4, 4), os.path.join(tmp, "decoder.onnx"),
                                     "latent", "image")}
    rng = np.random.default_rng(0)
    card = dict(card, codec=CODEC, latent_dim=model.dim, stages=model.stages, codebook_size=model.codebook,
                bits_per_index=model.bits, downsampling=DOWN, codebook_file=CODEBOOK_FILE, onnx_opset=opsets,
                bpp_per_stage=round(model.bits / DOWN ** 2, 5),
                chunk_format="chunk s = stage s's indices, raster order, bits_per_index bits each, most significant "
                             "first, packed into bytes (last byte zero-padded); sent without entropy coding",
                index_assignment={"method": "hamming_order (python/jscc/training/rvq.py): bit k splits every cell "
                                            "along a shared principal axis",
                                  "flip_distortion_per_stage": [round(flip_distortion(c), 6) for c in cb],
                                  "flip_distortion_random_order": [round(flip_distortion(c[rng.permutation(len(c))]), 6)
                                                                   for c in cb]})
    save_card(tmp, card)
    if check_image is not None:
        card.update(onnx_parity(model, tmp, check_image))
        save_card(tmp, card)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return card


@torch.no_grad()
def onnx_parity(model, folder, img):
    """The run-time codec (onnxruntime, numpy quantiser) against PyTorch on one image:
    onnx_parity_max_abs_diff (max of the encoder's latent difference and the decoder's image
    difference on the same z_hat, [0, 1] units) and index_agreement (fraction of the numpy
    quantiser's indices equal to ResidualVQ's; float ties may differ)."""
    codec = ProgressiveVQ(folder, threads=1, engine="onnxruntime")
    x = ProgressiveVQ.pad(img).transpose(2, 0, 1)[None].astype(np.float32)
    z_ref = model.encoder(torch.from_numpy(x))
    q_ref, idx_ref, _ = model.quantise(z_ref)
    z = codec.latent(img)
    idx = codec.quantise(z)
    agree = float((idx == idx_ref[0].reshape(-1, model.stages).T.numpy()).mean())
    img_ref = model.decoder(q_ref)[0].clamp(0, 255).numpy()
    img_onnx = np.clip(codec._run("decoder", q_ref.numpy()), 0, 255)[0]
    diff = max(float(np.abs(z - z_ref[0].numpy()).max()), float(np.abs(img_onnx - img_ref).max()) / 255)
    return {"onnx_parity_max_abs_diff": diff, "index_agreement": round(agree, 6)}
