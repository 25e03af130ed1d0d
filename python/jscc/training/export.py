"""Export a trained Deep JSCC to two ONNX graphs with ORT-friendly, mathematically equal layers.

onnxruntime runs convolutions in its blocked NCHWc layout at close to the CPU's peak; what costs
is every operator it cannot run in that layout (PRelu, DepthToSpace, Div: each is slow and forces a
layout round trip). So the graphs are rewritten before export, each step exact in real arithmetic
(tests/test_training.py checks them on random weights, the export command on a Kodak image):
- the input scaling x/255 folded into the first convolution's weights;
- PReLU(y) = a*y + relu((1-a)*y) for slopes a <= 1: two 1x1 depthwise convolutions, the Relu and
  the Add fused into them by onnxruntime; a slope above 1 is flipped into the convolutions around
  it (flip_slopes), or, before the power normalisation, gets a third, Clip branch;
- stride-1 ConvTranspose(k=5, p=2) == Conv(k=5, p=2) with in/out swapped and the kernel flipped;
- the two stride-2 ConvTranspose layers on phase maps (tconv_s2_to_conv): the first writes its
  2x-upsampled output as 4 phase maps per channel at its input's resolution, its PReLU shifts them
  by one sample (shift_phases) so that the second reads them with a 2x2 kernel and writes 16 phase
  maps per colour; one DepthToSpace at the very end makes the image. No layer runs at full
  resolution. The phase kernels still hold taps that are always zero (768x512: 0.45 and 0.30 GMAC
  against the transposed convolutions' 0.31 and 0.12), cheaper than any layout change here.
"""
import copy

import torch
from torch import nn


def conv_from_tconv_s1(t):
    k = t.kernel_size[0]
    conv = nn.Conv2d(t.in_channels, t.out_channels, k, 1, k - 1 - t.padding[0])
    conv.weight.data = t.weight.data.transpose(0, 1).flip(2, 3).contiguous()
    conv.bias.data = t.bias.data.clone()
    return conv


def tconv_s2_to_conv(t, p_in=1, shifted=False):
    """Conv equal to ConvTranspose(k=5, s=2, p=2, output_padding=1) between phase maps.

    Input channel ci*p_in^2 + qh*p_in + qw holds phase (qh, qw) of input map ci at 1/p_in of its
    resolution; output channel co*s^2 + rh*s + rw likewise holds phase (rh, rw), s = 2*p_in
    (PixelShuffle's order). 1-D: output n = s*i + r reads input f = p_in*i + delta(q, o) through tap
    k = n + 2 - 2f = r + 2 - 2*delta. Plain phases: delta = p_in*o + q, o in {-1, 0, 1} (3x3, pad 1).
    Shifted phases (p_in = 2, see shift_phases): phase q at i holds f = 2i - q, so delta = 2o - q
    with o in {0, 1} (2x2, no padding): 2.25x fewer multiplies than the plain 3x3.
    """
    assert t.kernel_size == (5, 5) and t.stride == (2, 2) and t.padding == (2, 2) and t.output_padding == (1, 1)
    assert p_in == 2 or not shifted
    cin, cout, s = t.in_channels, t.out_channels, 2 * p_in
    offsets = (0, 1) if shifted else (-1, 0, 1)
    taps = [(r, q, j, r + 2 - 2 * ((2 * o - q) if shifted else (p_in * o + q)))
            for r in range(s) for q in range(p_in) for j, o in enumerate(offsets)]
    taps = [(r, q, j, k) for r, q, j, k in taps if 0 <= k <= 4]
    n = len(offsets)
    w = t.weight.data  # (cin, cout, 5, 5)
    wc = torch.zeros(cout, s, s, cin, p_in, p_in, n, n)
    for rh, qh, jh, kh in taps:
        for rw, qw, jw, kw in taps:
            wc[:, rh, rw, :, qh, qw, jh, jw] = w[:, :, kh, kw].t()
    conv = nn.Conv2d(cin * p_in * p_in, cout * s * s, n, 1, 0 if shifted else 1)
    conv.weight.data = wc.reshape(cout * s * s, cin * p_in * p_in, n, n)
    conv.bias.data = t.bias.data.repeat_interleave(s * s)
    return conv


def shift_phases(channels):
    """Depthwise 2x2 kernels (padding 1) that move phase-1 samples one step on: channel
    ci*4 + qh*2 + qw at (i, j) then holds the map at (2i - qh, 2j - qw), zero outside the map.
    Pairs (2i-1, 2i) instead of (2i, 2i+1) let the next stride-2 layer use a 2x2 kernel."""
    k = torch.zeros(channels, 1, 2, 2)
    for ch in range(channels):
        qh, qw = (ch % 4) // 2, ch % 2
        k[ch, 0, 1 - qh, 1 - qw] = 1.0
    return k


def _depthwise(kernel, padding=0):
    conv = nn.Conv2d(kernel.shape[0], kernel.shape[0], kernel.shape[2:], padding=padding,
                     groups=kernel.shape[0], bias=False)
    conv.weight.data = kernel.clone()
    return conv


class SplitPReLU(nn.Module):
    """PReLU with per-channel slopes a, written as a*y + relu(c1*y) + min(c2*y, 0) where
    c1 = max(1-a, 0), c2 = min(1-a, 0) (the last term only where some a > 1; see flip_slopes).
    Each term is a 1x1 depthwise convolution; onnxruntime fuses the Relu/Clip into the
    convolution and the first Add into the a*y one.

    With `shift` (depthwise 2x2 kernels, padding 1) every term is taken of the shifted map:
    PReLU(0) = 0, so shifting before or after is the same, and the shift costs no extra pass."""

    def __init__(self, slopes, shift=None):
        super().__init__()
        a = slopes.detach().float()
        base = torch.ones(a.numel(), 1, 1, 1) if shift is None else shift
        pad = 0 if shift is None else 1
        dw = lambda c: _depthwise(c.view(-1, 1, 1, 1) * base, pad)  # noqa: E731
        self.lin, self.neg = dw(a), dw(torch.clamp(1 - a, min=0))
        self.pos = dw(torch.clamp(1 - a, max=0)) if (a > 1).any() else None

    def forward(self, y):
        out = self.lin(y) + torch.relu(self.neg(y))
        if self.pos is not None:
            out = out + torch.clamp(self.pos(y), max=0)
        return out


def flip_slopes(before, prelu_slopes, after):
    """Make every slope <= 1 so SplitPReLU needs no Clip branch: for a channel with a > 1,
    PReLU_a(y) = -a * PReLU_(1/a)(-y), so negate that output of `before`, use slope 1/a and
    scale that input of `after` by -a. Returns the new slopes; edits the two convolutions."""
    a = prelu_slopes.detach().float().clone()
    big = a > 1
    if big.any():
        before.weight.data[big] *= -1
        before.bias.data[big] *= -1
        after.weight.data[:, big] *= -a[big].view(1, -1, 1, 1)
        a[big] = 1 / a[big]
    return a


def _with_split_prelus(layers, shifts=None):
    """Replace each PReLU slope tensor in `layers` (convs and slopes) by a SplitPReLU, flipping
    slopes above 1 into the convolutions around it where a convolution follows."""
    shifts = shifts or {}
    out = list(layers)
    for i, m in enumerate(out):
        if isinstance(m, torch.Tensor):
            nxt = out[i + 1] if i + 1 < len(out) else None
            a = flip_slopes(out[i - 1], m, nxt) if isinstance(nxt, nn.Conv2d) else m
            out[i] = SplitPReLU(a, shifts.get(i))
    return nn.Sequential(*out)


class FastEncoder(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        from .deepjscc import power_normalize
        self._normalize = power_normalize
        layers = []
        for m in encoder.net:
            if isinstance(m, nn.Conv2d):
                conv = copy.deepcopy(m)  # flip_slopes edits it in place
                if not layers:
                    conv.weight.data /= 255.0
                layers.append(conv)
            else:
                layers.append(m.weight.data)
        self.net = _with_split_prelus(layers)

    def forward(self, x):  # x in [0, 255]: the 1/255 lives in the first weights
        return self._normalize(self.net(x))


class FastDecoder(nn.Module):
    """Stride-1 layers as convs; the first stride-2 layer writes 4 shifted phase maps per channel
    (its PReLU does the shift), the second reads them with a 2x2 kernel and writes 16 phases per
    colour; sigmoid and x255 on the phases, one DepthToSpace(4) at the end."""

    def __init__(self, decoder):
        super().__init__()
        layers, shifts, stride2 = [], {}, 0
        for m in decoder.net:
            if isinstance(m, nn.ConvTranspose2d):
                if m.stride == (1, 1):
                    m = conv_from_tconv_s1(m)
                else:
                    m = tconv_s2_to_conv(m, 1) if stride2 == 0 else tconv_s2_to_conv(m, 2, shifted=True)
                    stride2 += 1
            elif isinstance(m, nn.PReLU):
                m = m.weight.data.clone()
                if stride2 == 1:  # on the 4 phases of the first stride-2 layer's output
                    m = m.repeat_interleave(4)
                    shifts[len(layers)] = shift_phases(m.numel())
            layers.append(m)
        assert stride2 == 2, "expected the paper's decoder: two stride-2 layers last"
        self.net = _with_split_prelus(layers, shifts)
        self.shuffle = nn.PixelShuffle(4)

    def forward(self, y):
        return self.shuffle(self.net(y) * 255.0)


def fast_encoder(encoder):
    """A copy of a training Encoder rewritten for onnxruntime (same function)."""
    return FastEncoder(encoder).eval()


def fast_decoder(decoder):
    """A copy of a training Decoder rewritten for onnxruntime (same function)."""
    return FastDecoder(decoder).eval()


def export_onnx(module, example, path, in_name, out_name, opset=17):
    """Export with dynamic batch, height and width; returns the opset actually written.
    in_name may be a tuple of names, example then a tuple of tensors: the first input is the
    image-like one (dynamic batch, height, width), the others (e.g. snr_db) have a dynamic batch."""
    import onnx
    names = [in_name] if isinstance(in_name, str) else list(in_name)
    examples = (example,) if isinstance(in_name, str) else tuple(example)
    dims = {0: "batch", 2: "height", 3: "width"}
    axes = {n: (dims if i == 0 else {0: "batch"}) for i, n in enumerate(names)}
    torch.onnx.export(module, examples, path, input_names=names, output_names=[out_name],
                      dynamic_axes={**axes, out_name: dims}, opset_version=opset, dynamo=False)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))


def graph_gmac(path, height, width):
    """Multiply-accumulates (1e9) of every Conv and ConvTranspose in an ONNX graph for one input
    of height x width (inputs after the first, e.g. snr_db, take batch 1). Gemm / MatMul (the SNR
    modules' few thousand) are left out."""
    import onnx
    m = onnx.load(path)
    for k, inp in enumerate(m.graph.input):
        dims = inp.type.tensor_type.shape.dim
        want = (1, dims[1].dim_value, height, width) if k == 0 else [1] + [d.dim_value for d in dims[1:]]
        for d, v in zip(dims, want):
            d.Clear()
            d.dim_value = v
    m = onnx.shape_inference.infer_shapes(m)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input)}
    weights = {t.name: list(t.dims) for t in m.graph.initializer}
    macs = 0
    for n in m.graph.node:
        if n.op_type == "Conv":  # weight (out, in/groups, kh, kw), counted at the output
            o, i, kh, kw = weights[n.input[1]]
            _, _, h, w = shapes[n.output[0]]
            macs += o * i * kh * kw * h * w
        elif n.op_type == "ConvTranspose":  # weight (in, out/groups, kh, kw), counted at the input
            i, o, kh, kw = weights[n.input[1]]
            _, _, h, w = shapes[n.input[0]]
            macs += o * i * kh * kw * h * w
    return macs / 1e9
