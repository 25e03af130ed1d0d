"""Export a trained Deep JSCC to two ONNX graphs with ORT-friendly, mathematically equal layers.

onnxruntime's ConvTranspose is slow on CPU, so the decoder is rewritten before export:
- stride-1 ConvTranspose(k=5, p=2)  == Conv(k=5, p=2) with in/out swapped and the kernel flipped;
- stride-2 ConvTranspose(k=5, p=2, output_padding=1) == Conv(k=3, p=1) to 4*Cout maps + PixelShuffle(2):
  output phase r in {0,1} of a 1-D transposed conv sees x[m-1], x[m], x[m+1] through taps
  w[4-2d+r] for d = 0, 1, 2 (taps outside 0..4 are zero).
"""
import torch
from torch import nn


def conv_from_tconv_s1(t):
    k = t.kernel_size[0]
    conv = nn.Conv2d(t.in_channels, t.out_channels, k, 1, k - 1 - t.padding[0])
    conv.weight.data = t.weight.data.transpose(0, 1).flip(2, 3).contiguous()
    conv.bias.data = t.bias.data.clone()
    return conv


def subpixel_from_tconv_s2(t):
    assert t.kernel_size == (5, 5) and t.stride == (2, 2) and t.padding == (2, 2) and t.output_padding == (1, 1)
    cin, cout = t.in_channels, t.out_channels
    w = t.weight.data  # (cin, cout, 5, 5)
    wc = torch.zeros(cout, 2, 2, cin, 3, 3)
    for rh in range(2):
        for rw in range(2):
            for dh in range(3):
                for dw in range(3):
                    kh, kw = 4 - 2 * dh + rh, 4 - 2 * dw + rw
                    if kh <= 4 and kw <= 4:
                        wc[:, rh, rw, :, dh, dw] = w[:, :, kh, kw].t()
    conv = nn.Conv2d(cin, 4 * cout, 3, 1, 1)
    conv.weight.data = wc.reshape(4 * cout, cin, 3, 3)  # channel o*4 + rh*2 + rw, as PixelShuffle wants
    conv.bias.data = t.bias.data.repeat_interleave(4)
    return nn.Sequential(conv, nn.PixelShuffle(2))


def fast_decoder(decoder):
    """A copy of a training Decoder with every ConvTranspose2d replaced by its Conv equivalent."""
    layers = []
    for m in decoder.net:
        if isinstance(m, nn.ConvTranspose2d):
            m = conv_from_tconv_s1(m) if m.stride == (1, 1) else subpixel_from_tconv_s2(m)
        layers.append(m)

    class FastDecoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(*layers)

        def forward(self, y):
            return self.net(y) * 255.0

    return FastDecoder().eval()


def export_onnx(module, example, path, in_name, out_name, opset=17):
    """Export with dynamic batch, height and width; returns the opset actually written."""
    import onnx
    dims = {0: "batch", 2: "height", 3: "width"}
    torch.onnx.export(module, (example,), path, input_names=[in_name], output_names=[out_name],
                      dynamic_axes={in_name: dims, out_name: dims}, opset_version=opset, dynamo=False)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    return max(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
