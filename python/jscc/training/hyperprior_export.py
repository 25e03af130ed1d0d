"""Export a ProgressiveHyperprior to a model folder the run-time codec loads
(codecs/progressive.py): three ONNX graphs, entropy.npz (integer h_s + coding tables), model.json.

The integer h_s (codecs/entropy.py) is calibrated, not retrained: weights get a per-output-channel
scale on WEIGHT_BITS, hidden activations a per-layer grid of ACT_BITS set from the largest value
seen on calibration images (x CALIB_MARGIN), and the outputs fixed grids for the means and the log
scales. measure_integer_cost() says what that costs against the float h_s on the same images.
"""
import copy
import os
import shutil

import numpy as np
import torch
from scipy.special import ndtr
from torch import nn

from ..codecs import entropy
from ..codecs.progressive import CODEC, ENTROPY_FILE, ProgressiveHyperprior as ProgressiveCodec
from ..models import save_card
from .export import export_onnx
from .hyperprior import SCALE_MAX, SCALE_MIN, SGDN, scale_table

WEIGHT_BITS, ACT_BITS = 12, 14
MEAN_BITS, LOG_SCALE_BITS = 8, 10
MULT_BITS = 23          # requantisation multipliers in [2**22, 2**23)
CALIB_MARGIN = 1.25
Q_MAX = 255             # |round(y - mu)| is clipped here (never reached by a trained model)
Z_TAIL = 2.0 ** -20     # z's range covers all but this much of every channel's prior


# --- ONNX graphs ----------------------------------------------------------------------------------
class _FixedSGDN(nn.Module):
    """SGDN with its parameters baked into a 1x1 convolution: Abs, Conv, Div (or Mul)."""

    def __init__(self, g):
        super().__init__()
        beta, gamma = (t.detach().float() for t in g.params())
        self.conv = nn.Conv2d(gamma.shape[0], gamma.shape[0], 1)
        self.conv.weight.data = gamma[:, :, None, None].clone()
        self.conv.bias.data = beta.clone()
        self.inverse = g.inverse

    def forward(self, x):
        n = self.conv(x.abs())
        return x * n if self.inverse else x / n


def _frozen(seq):
    return nn.Sequential(*[_FixedSGDN(m) if isinstance(m, SGDN) else copy.deepcopy(m) for m in seq]).eval()


class _Encoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.net = _frozen(model.g_a)
        self.net[0].weight.data /= 255.0  # the x/255 folded into the first weights

    def forward(self, x):
        return self.net(x)


class _Decoder(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.net = _frozen(model.g_s)
        self.net[-1].weight.data *= 255.0  # the x255 folded into the last weights
        self.net[-1].bias.data *= 255.0

    def forward(self, y):
        return self.net(y).clamp(0, 255)


def graphs(model):
    """{name: (module, example input)} of the three ONNX graphs."""
    m = model.m
    return {"encoder": (_Encoder(model), torch.rand(1, 3, 128, 192) * 255),
            "hyper_encoder": (copy.deepcopy(model.h_a).eval(), torch.randn(1, m, 8, 12)),
            "decoder": (_Decoder(model), torch.randn(1, m, 8, 12))}


IO_NAMES = {"encoder": ("image", "y"), "hyper_encoder": ("y", "z"), "decoder": ("y_hat", "image")}


# --- calibration and the integer h_s --------------------------------------------------------------
@torch.no_grad()
def latents(model, img):
    """Float model: uint8 HxWx3 -> y (1, M, h, w), z_hat (1, N, h/4, w/4) (rounded, not clipped)."""
    x = torch.from_numpy(ProgressiveCodec.pad(img).transpose(2, 0, 1)[None].astype(np.float32))
    y = model.g_a(x / 255.0)
    return y, torch.round(model.h_a(y))


def _hs_layers(model):
    """(module, relu after it) for each layer of h_s."""
    mods = list(model.h_s)
    return [(l, i + 1 < len(mods) and isinstance(mods[i + 1], nn.ReLU))
            for i, l in enumerate(mods) if isinstance(l, (nn.Conv2d, nn.ConvTranspose2d))]


@torch.no_grad()
def calibrate(model, z_hats):
    """Largest output of each hidden (ReLU) layer of h_s over the calibration z_hats."""
    peaks = [0.0] * len(_hs_layers(model))
    for z in z_hats:
        a = z
        for i, (layer, relu) in enumerate(_hs_layers(model)):
            a = layer(a)
            if relu:
                a = torch.relu(a)
                peaks[i] = max(peaks[i], float(a.max()))
    return peaks


def quantise_hs(model, z_hats, z_max):
    """The integer h_s arrays (codecs/entropy.py's format), calibrated on z_hats."""
    layers, peaks = _hs_layers(model), calibrate(model, z_hats)
    act_max = (1 << ACT_BITS) - 1
    w_max = (1 << (WEIGHT_BITS - 1)) - 1
    arrays, spec, s_in = {}, [], 1.0  # z_hat is on the integer grid
    for i, (layer, relu) in enumerate(layers):
        w = layer.weight.detach().double().numpy()
        b = layer.bias.detach().double().numpy()
        if isinstance(layer, nn.ConvTranspose2d):
            kind = entropy.TCONV
            assert layer.output_padding[0] == layer.stride[0] - 1, "entropy.conv_layer_int assumes this"
            w = w.transpose(0, 2, 3, 1)   # (Cin, Cout, k, k) -> (Cin, k, k, Cout)
        else:
            kind = entropy.CONV
            w = w.transpose(1, 2, 3, 0)   # (Cout, Cin, k, k) -> (Cin, k, k, Cout)
        cout = w.shape[3]
        sw = np.abs(w).reshape(-1, cout).max(0) / w_max
        sw[sw == 0] = 1.0
        w_int = np.rint(w / sw).astype(np.int16)
        if relu:
            s_out = np.full(cout, max(peaks[i], 1e-6) * CALIB_MARGIN / act_max)
        else:  # the last layer: means, then log-scales, on their fixed grids
            m = cout // 2
            s_out = np.concatenate([np.full(m, 2.0 ** -MEAN_BITS), np.full(cout - m, 2.0 ** -LOG_SCALE_BITS)])
        r = sw * s_in / s_out
        shift = np.clip(MULT_BITS - 1 - np.floor(np.log2(np.maximum(r, 1e-300))), 1, 62).astype(np.int64)
        arrays[f"hs{i}_w"] = w_int
        arrays[f"hs{i}_mult"] = np.rint(r * 2.0 ** shift).astype(np.int64)
        arrays[f"hs{i}_shift"] = shift
        arrays[f"hs{i}_bias"] = np.rint(b / s_out * 2.0 ** shift).astype(np.int64)
        spec.append([kind, layer.stride[0], layer.padding[0], int(relu), act_max if relu else 0])
        s_in = float(s_out[0])
    arrays["hs_layers"] = np.asarray(spec, np.int64)
    entropy.IntegerNet(arrays, z_max)  # refuses weights whose accumulators could leave the exact range
    return arrays


# --- coding tables --------------------------------------------------------------------------------
def to_counts(p, total=1 << entropy.PRECISION):
    """Rows of probabilities -> positive integer counts summing to total (deterministic)."""
    p = np.asarray(p, np.float64)
    p = np.maximum(p, 0) / np.maximum(p.sum(1, keepdims=True), 1e-300)
    n = p.shape[1]
    c = 1 + np.floor(p * (total - n)).astype(np.int64)
    for row, pr in zip(c, p):
        rem = total - int(row.sum())
        row[np.argsort(-pr, kind="stable")[:rem]] += 1
    return c


def gaussian_counts(q_max=Q_MAX):
    """Integer pmf of q = round(y - mu) under N(0, s) for every table scale; the end bins take
    the tails (values are clipped to +-q_max)."""
    s = scale_table()[:, None]
    edges = np.arange(-q_max, q_max + 1) - 0.5  # lower edge of every bin
    cdf = ndtr(edges[None] / s)
    cdf[:, 0] = 0.0
    p = np.diff(np.concatenate([cdf, np.ones((s.shape[0], 1))], 1), axis=1)
    return to_counts(p)


def z_range(model):
    for r in range(8, 128):
        lo, up = model.prior.cdf([-r - 0.5, r + 0.5]).T
        if max(lo.max(), (1 - up).max()) < Z_TAIL:
            return r
    return 127


def z_counts(model, z_max):
    edges = np.arange(-z_max, z_max + 1) - 0.5
    cdf = model.prior.cdf(edges)
    cdf[:, 0] = 0.0
    return to_counts(np.diff(np.concatenate([cdf, np.ones((cdf.shape[0], 1))], 1), axis=1))


def scale_thresholds():
    """Boundaries between neighbouring table scales (geometric midpoints) on the log-scale grid."""
    ls = np.log(scale_table())
    return np.rint((ls[:-1] + ls[1:]) / 2 * 2 ** LOG_SCALE_BITS).astype(np.int64)


def entropy_arrays(model, calib_images):
    z_hats = [latents(model, img)[1] for img in calib_images]
    z_max = z_range(model)
    a = quantise_hs(model, [z.clamp(-z_max, z_max) for z in z_hats], z_max)
    a.update(format=np.int64(entropy.FORMAT), groups=np.asarray(model.groups, np.int64), q_max=np.int64(Q_MAX),
             z_max=np.int64(z_max), mean_bits=np.int64(MEAN_BITS), log_scale_bits=np.int64(LOG_SCALE_BITS),
             scale_table=scale_table(), scale_thresholds=scale_thresholds(), gauss_counts=gaussian_counts(),
             z_counts=z_counts(model, z_max))
    return a


# --- the model folder -----------------------------------------------------------------------------
def export_model(model, out, calib_images, card, check_image=None):
    """Write out/ (replacing it): encoder.onnx, hyper_encoder.onnx, decoder.onnx, entropy.npz,
    model.json (card: name, model_id and what the caller knows, completed here). With
    check_image: ONNX vs PyTorch parity of the decoded image (max abs, [0, 1] units) in the card.
    Returns the card."""
    model = model.eval()
    tmp = out.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    opsets = {}
    for name, (module, example) in graphs(model).items():
        i, o = IO_NAMES[name]
        opsets[name] = export_onnx(module, example, os.path.join(tmp, name + ".onnx"), i, o)
    arrays = entropy_arrays(model, calib_images)
    np.savez(os.path.join(tmp, ENTROPY_FILE), **arrays)
    card = dict(card, codec=CODEC, latent_channels=model.m, hyper_channels=model.n, groups=list(model.groups),
                exact_graphs=[], onnx_opset=opsets, entropy_file=ENTROPY_FILE,
                integer_hs={"description": "h_s run in integers in numpy (codecs/entropy.py): weights per output "
                                           "channel on signed weight_bits, hidden activations on unsigned "
                                           "activation_bits grids calibrated on training crops, exact "
                                           "accumulation (float64 BLAS on integers < 2**52), requantised by "
                                           "integer multipliers and rounding right shifts; means on a "
                                           "2**-mean_bits grid, scale index by integer thresholds on log-scales",
                            "weight_bits": WEIGHT_BITS, "activation_bits": ACT_BITS, "mean_bits": MEAN_BITS,
                            "log_scale_bits": LOG_SCALE_BITS, "multiplier_bits": MULT_BITS,
                            "calibration_images": len(calib_images), "calibration_margin": CALIB_MARGIN},
                scale_table={"min": SCALE_MIN, "max": SCALE_MAX, "levels": len(scale_table()), "spacing": "geometric"},
                q_max=Q_MAX, z_max=int(arrays["z_max"]),
                coding="constriction ANS (AnsCoder, 24-bit probabilities): z with its per-channel factorized-prior "
                       "table, y group by group with the Gaussian table of each element's scale index; tables as "
                       "integer counts in entropy.npz")
    save_card(tmp, card)
    if check_image is not None:
        card["onnx_parity_max_abs_diff"] = onnx_parity(model, tmp, check_image)
        save_card(tmp, card)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return card


@torch.no_grad()
def onnx_parity(model, folder, img):
    """Max abs difference ([0, 1] units) between the ONNX decoder on the ONNX encoder's rounded
    latent and PyTorch's g_s on PyTorch's rounded latent (no entropy model: the graphs only)."""
    import onnxruntime as ort
    x = ProgressiveCodec.pad(img).transpose(2, 0, 1)[None].astype(np.float32)
    run = lambda g, v: ort.InferenceSession(os.path.join(folder, g + ".onnx"),  # noqa: E731
                                            providers=["CPUExecutionProvider"]).run(None, {IO_NAMES[g][0]: v})[0]
    y = run("encoder", x)
    ref_y = model.g_a(torch.from_numpy(x) / 255.0).numpy()
    img_onnx = run("decoder", np.rint(ref_y))
    ref = (model.g_s(torch.from_numpy(np.rint(ref_y))) * 255).clamp(0, 255).numpy()
    return float(max(np.abs(y - ref_y).max(), np.abs(img_onnx - ref).max() / 255))


@torch.no_grad()
def measure_integer_cost(codec, model, images):
    """Real bitstreams and PSNR with the integer h_s (what ships) against the float h_s (its
    output rounded onto the same grids), all groups, on the same y and z_hat. -> dict."""
    from ..metrics import psnr
    bits = {"integer": 0, "float": 0}
    ps = {"integer": [], "float": []}
    pixels = 0
    for img in images:
        h, w = img.shape[:2]
        y, z_hat = codec.analyse(img)
        out = model.h_s(torch.from_numpy(z_hat[None]).float())[0].double().numpy()
        mu_f = np.rint(out[:codec.m] * 2 ** MEAN_BITS).astype(np.int64)
        idx_f = codec.scale_index(np.rint(out[codec.m:] * 2 ** LOG_SCALE_BITS).astype(np.int64))
        for name, (mu, idx) in {"integer": codec.entropy_parameters(z_hat), "float": (mu_f, idx_f)}.items():
            zs, gs, q = codec.code(y, z_hat, mu, idx)
            bits[name] += 8 * (len(zs) + sum(len(g) for g in gs) + len(entropy.varint(len(zs))))
            ps[name].append(psnr(img, codec.synthesise(q + codec.means(mu), h, w)))
        pixels += h * w
    r = {k: {"bpp": round(bits[k] / pixels, 5), "psnr_db": round(float(np.mean(ps[k])), 3)} for k in bits}
    r["rate_increase_pct"] = round(100 * (bits["integer"] / bits["float"] - 1), 3)
    r["images"] = len(images)
    return r
