"""Deep JSCC of Bourtsoulatze, Kurka and Gunduz (2019), Fig. 2.

Encoder: x/255 -> conv5x5 16/2, 32/2, 32/1, 32/1, c/1 (PReLU after each)
-> power normalisation to P = 1 per complex symbol (Eq. 1).
Decoder: the mirror with transposed convolutions, PReLU, sigmoid last, x255.
The latent has c x H/4 x W/4 reals = c*H*W/32 complex symbols: k/n = c/96.
"""
import torch
from torch import nn

ENC_LAYERS = ((16, 2), (32, 2), (32, 1), (32, 1))  # (filters, stride) before the c-filter layer
DEC_LAYERS = ((32, 1), (32, 1), (32, 1), (16, 2), (3, 2))  # mirror: strides reversed


def power_normalize(z, power=1.0):
    """Scale each example so the mean power per complex symbol (pairs of reals) is `power`."""
    k = z[0].numel() / 2
    energy = z.pow(2).flatten(1).sum(1).clamp_min(1e-12)
    return z * torch.sqrt(k * power / energy).view(-1, 1, 1, 1)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        layers, cin = [], 3
        for cout, stride in ENC_LAYERS + ((c, 1),):
            layers += [nn.Conv2d(cin, cout, 5, stride, 2), nn.PReLU(cout)]
            cin = cout
        self.net = nn.Sequential(*layers)

    def forward(self, x):  # x: uint8-range float [0, 255], NCHW, H and W divisible by 4
        return power_normalize(self.net(x / 255.0).float())  # float32 even under bf16 autocast


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        layers, cin = [], c
        for i, (cout, stride) in enumerate(DEC_LAYERS):
            layers += [_tconv(cin, cout, stride), nn.Sigmoid() if i == len(DEC_LAYERS) - 1 else nn.PReLU(cout)]
            cin = cout
        self.net = nn.Sequential(*layers)

    def forward(self, y):
        return self.net(y) * 255.0


def _tconv(cin, cout, stride):
    # 'same'-style transposed conv: output = stride * input
    return nn.ConvTranspose2d(cin, cout, 5, stride, 2, output_padding=stride - 1)


class DeepJSCC(nn.Module):
    def __init__(self, c, channel):
        super().__init__()
        self.c = c
        self.encoder, self.decoder, self.channel = Encoder(c), Decoder(c), channel

    def forward(self, x):
        return self.decoder(self.channel(self.encoder(x)))


def c_for_kn(kn):
    """k/n = 1/kn -> number of latent channels c (k/n = c/96)."""
    if 96 % kn:
        raise ValueError(f"k/n = 1/{kn} is not reachable with this architecture (c = 96/{kn})")
    c = 96 // kn
    if c % 2:
        raise ValueError(f"c = {c} must be even to pair reals into complex symbols")
    return c


def build(run):
    """The training network for a run's arguments (apps/train_deepjscc.py's; run.json, the
    checkpoint's "args"): --arch paper (this module) or adaptive (training.adaptive)."""
    if run.get("arch", "paper") == "adaptive":
        from .adaptive import from_run
        return from_run(run)
    from .channels import CHANNELS
    return DeepJSCC(c_for_kn(run["kn"]), CHANNELS[run["channel"]](run["snr"]))
