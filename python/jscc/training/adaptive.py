"""SNR-adaptive Deep JSCC: our architecture for one model per bandwidth ratio over 0..20 dB.

A GDN CNN of the learned-compression kind (four stride-2 stages, x16 down) with ADJSCC-style
attention modules that take the SNR (docs/adaptive.md says why each choice):

  encoder: x/255 -> conv5x5/2 N1, GDN -> conv5x5/2 N2, GDN -> conv5x5/2 N3, GDN, ResBlock, AF
           -> conv5x5/2 c, AF -> power normalisation (mean power 1 per complex symbol)
  decoder: AF, ResBlock -> up N3, IGDN, ResBlock, AF -> up N2, IGDN -> up N1, IGDN -> up 3,
           sigmoid, x255       (up: sub-pixel conv3x3 to 4 phase maps per channel, PixelShuffle)

- GDN: simplified GDN (Johnston et al. 2019), y = x / (beta + gamma |x|) per pixel, and its
  inverse y = x * (beta + gamma |x|) in the decoder: a 1x1 convolution and one elementwise op.
- AF (attention feature module, after ADJSCC, Xu et al. 2021): channel-wise scaling
  x * sigmoid(MLP([mean over the map of x, snr])), so each channel's weight depends on the SNR
  and on the image. Only at 1/8 and 1/16 of the image side, where the latent is allocated and
  denoised, and where the broadcast multiply costs nothing.
- ResBlock: x + conv3x3(lrelu(conv3x3(x))) at the low resolutions, where depth is cheap.
- The SNR input (dB, shape (batch, 1)) is clipped to the range the model was trained on
  (encoder: the training draws; decoder: wider when fading was mixed in) and scaled to ~[-1, 1].

Latent: c maps of H/16 x W/16 reals; symbol j = latent[j] + 1j latent[j + c/2] (same layout as
the paper model, training.channels), c/2 * H W / 256 complex symbols: k/n = c/1536.
"""
import torch
import torch.nn.functional as F
from torch import nn

from .deepjscc import power_normalize

DOWN = 16                      # image side / latent side (four stride-2 stages)
WIDTHS = (48, 96, 128)         # N1, N2, N3: the stages at 1/2, 1/4, 1/8 of the side
SNR_CENTER_DB, SNR_SCALE_DB = 10.0, 10.0


def c_for_kn(kn):
    """k/n = 1/kn -> latent channels c (k/n = c/1536)."""
    if (2 * 3 * DOWN * DOWN) % kn:
        raise ValueError(f"k/n = 1/{kn} is not reachable with this architecture (c = 1536/{kn})")
    c = 2 * 3 * DOWN * DOWN // kn
    if c % 2:
        raise ValueError(f"c = {c} must be even to pair reals into complex symbols")
    return c


class GDN(nn.Module):
    """Simplified GDN: y = x / (beta + gamma |x|), inverse y = x * (beta + gamma |x|).
    beta = |beta_p| + 1e-3 > 0 and gamma = |gamma_p| >= 0 (abs keeps a gradient everywhere but 0,
    which no parameter starts at)."""

    def __init__(self, ch, inverse=False):
        super().__init__()
        self.inverse = inverse
        self.beta_p = nn.Parameter(torch.ones(ch))
        self.gamma_p = nn.Parameter(0.1 * torch.eye(ch) + 1e-3)

    def coefficients(self):
        """(beta, gamma) as a 1x1 convolution's bias and weight."""
        return self.beta_p.abs() + 1e-3, self.gamma_p.abs()[:, :, None, None]

    def forward(self, x):
        beta, gamma = self.coefficients()
        d = F.conv2d(x.abs(), gamma.to(x.dtype), beta.to(x.dtype))
        return x * d if self.inverse else x / d

    def frozen(self):
        """The same function with beta and gamma as a plain 1x1 convolution (for export)."""
        beta, gamma = self.coefficients()
        conv = nn.Conv2d(gamma.shape[1], gamma.shape[0], 1)
        conv.weight.data, conv.bias.data = gamma.detach().clone(), beta.detach().clone()
        return FrozenGDN(conv, self.inverse)


class FrozenGDN(nn.Module):
    def __init__(self, conv, inverse):
        super().__init__()
        self.conv, self.inverse = conv, inverse

    def forward(self, x):
        d = self.conv(x.abs())
        return x * d if self.inverse else x / d


class AF(nn.Module):
    """Attention feature module: x * sigmoid(W2 relu(W1 [mean_hw(x), snr]))."""

    def __init__(self, ch):
        super().__init__()
        hidden = max(ch // 4, 16)
        self.fc1, self.fc2 = nn.Linear(ch + 1, hidden), nn.Linear(hidden, ch)

    def forward(self, x, snr):
        p = F.adaptive_avg_pool2d(x, 1).flatten(1)  # GlobalAveragePool in ONNX
        a = torch.sigmoid(self.fc2(torch.relu(self.fc1(torch.cat([p, snr.to(p.dtype)], 1)))))
        return x * a[:, :, None, None]


class ResBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(ch, ch, 3, 1, 1), nn.Conv2d(ch, ch, 3, 1, 1)

    def forward(self, x):
        return x + self.c2(F.leaky_relu(self.c1(x), 0.2))


def _down(cin, cout):
    return nn.Conv2d(cin, cout, 5, 2, 2)


def _up(cin, cout):
    # sub-pixel convolution (Shi et al. 2016): a 3x3 conv to 4 phase maps per output channel, then
    # PixelShuffle (ONNX DepthToSpace). It holds every 5x5 stride-2 transposed conv and runs in
    # bf16 on OpenVINO, where ConvTranspose falls back to float32 (6x slower, measured).
    return nn.Sequential(nn.Conv2d(cin, 4 * cout, 3, 1, 1), nn.PixelShuffle(2))


def snr_feature(snr_db, lo, hi):
    """The network's SNR input: clipped to [lo, hi] dB (the range it was trained on), scaled."""
    return (snr_db.float().clamp(lo, hi) - SNR_CENTER_DB) / SNR_SCALE_DB


class Encoder(nn.Module):
    def __init__(self, c, widths=WIDTHS, snr_range=(0.0, 20.0)):
        super().__init__()
        n1, n2, n3 = widths
        self.snr_range = tuple(float(s) for s in snr_range)
        self.stem = nn.Sequential(_down(3, n1), GDN(n1), _down(n1, n2), GDN(n2), _down(n2, n3), GDN(n3), ResBlock(n3))
        self.af3 = AF(n3)
        self.head = _down(n3, c)
        self.af4 = AF(c)

    def forward(self, x, snr_db):  # x: [0, 255] NCHW, sides multiples of 16; snr_db: (batch, 1)
        return self.features(x / 255.0, snr_db)

    def features(self, x, snr_db):  # x already scaled (the export folds the 1/255 into the weights)
        s = snr_feature(snr_db, *self.snr_range)
        y = self.af3(self.stem(x), s)
        return power_normalize(self.af4(self.head(y), s).float())  # float32 even under bf16 autocast


class Decoder(nn.Module):
    def __init__(self, c, widths=WIDTHS, snr_range=(0.0, 20.0)):
        super().__init__()
        n1, n2, n3 = widths
        self.snr_range = tuple(float(s) for s in snr_range)
        self.af0 = AF(c)
        self.body = nn.Sequential(ResBlock(c), _up(c, n3), GDN(n3, inverse=True), ResBlock(n3))
        self.af1 = AF(n3)
        self.tail = nn.Sequential(_up(n3, n2), GDN(n2, inverse=True), _up(n2, n1), GDN(n1, inverse=True), _up(n1, 3))

    def forward(self, y, snr_db):
        s = snr_feature(snr_db, *self.snr_range)
        h = self.af1(self.body(self.af0(y, s)), s)
        return torch.sigmoid(self.tail(h)) * 255.0


class AdaptiveDeepJSCC(nn.Module):
    """Encoder, channel, decoder. The channel (training.channels.VariableSNR) draws each example's
    SNR as the transmitter knows it (snr_tx) and as the receiver knows it (snr_rx, the SNR of
    what the decoder gets), and adds the noise."""

    def __init__(self, c, channel, widths=WIDTHS, snr_range=(0.0, 20.0), decoder_snr_range=None):
        super().__init__()
        self.c = c
        self.encoder = Encoder(c, widths, snr_range)
        self.decoder = Decoder(c, widths, decoder_snr_range or snr_range)
        self.channel = channel

    def forward(self, x, snr_tx=None, snr_rx=None):
        """Training: the channel draws each example's (snr_tx, snr_rx); validation passes them."""
        if snr_tx is None:
            snr_tx, snr_rx = self.channel.draw(x.shape[0], x.device)
        z = self.encoder(x, snr_tx)
        return self.decoder(self.channel(z, snr_rx), snr_rx)


def frozen(module):
    """A copy for export: every GDN as a plain 1x1 convolution (exactly the same function)."""
    import copy
    module = copy.deepcopy(module).eval()
    for name, m in list(module.named_modules()):
        for child_name, child in list(m.named_children()):
            if isinstance(child, GDN):
                setattr(m, child_name, child.frozen())
    return module


class ExportEncoder(nn.Module):
    """Encoder graph for ONNX: (image in [0, 255], snr_db (batch, 1)) -> latent; the 1/255 folded
    into the first convolution (a full-resolution Div is a layout round trip in onnxruntime)."""

    def __init__(self, encoder):
        super().__init__()
        self.enc = frozen(encoder)
        self.enc.stem[0].weight.data /= 255.0

    def forward(self, x, snr_db):
        return self.enc.features(x, snr_db)


def export_modules(model):
    """(encoder, decoder) modules to export, equal in function to model's."""
    return ExportEncoder(model.encoder).eval(), frozen(model.decoder)


def from_run(run):
    """The training network for a run's arguments (apps/train_deepjscc.py --arch adaptive)."""
    from .channels import VariableSNR
    lo, hi = run["snr_range"]
    mix = run.get("rayleigh_mix", 0.0)
    return AdaptiveDeepJSCC(c_for_kn(run["kn"]), VariableSNR(lo, hi, mix), tuple(run["widths"]), (lo, hi),
                            decoder_snr_range(lo, hi, mix))


def decoder_snr_range(lo, hi, rayleigh_mix):
    """SNRs the decoder is trained on: the draws, and with fading mixed in, down to 10 dB below
    (a fade of |h|^2 = 0.1 or deeper happens to ~10 % of the fading examples) and 5 dB above."""
    return (lo - 10.0, hi + 5.0) if rayleigh_mix > 0 else (lo, hi)
