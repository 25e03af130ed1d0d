"""Progressive mean-scale hyperprior (Minnen, Balle, Toderici 2018, without the autoregressive
context) with ProgDTD tail-drop training (Hojjat et al. 2023), written from the papers.

    g_a: x/255 -> conv5x5/2 N, SGDN, conv5x5/2 N, SGDN, conv5x5/2 N, SGDN, conv5x5/2 M   -> y (M, H/16)
    h_a: y -> conv3x3 N, ReLU, conv5x5/2 N, ReLU, conv5x5/2 N                             -> z (N, H/64)
    h_s: z_hat -> tconv5x5/2 N, ReLU, tconv5x5/2 N, ReLU, conv3x3 2M -> means, log-scales of y
    g_s: y_hat -> tconv5x5/2 N, ISGDN, tconv5x5/2 N, ISGDN, tconv5x5/2 N, ISGDN, tconv5x5/2 3 -> x255

SGDN is the simplified GDN of Johnston et al. 2019, y = x / (beta + gamma |x|) (inverse:
x * (beta + gamma |x|)): it keeps most of GDN's rate-distortion gain over ReLU (a learned divisive
normalisation across channels) at the cost of an Abs and a 1x1 convolution, without GDN's square
and square root, which are slower on CPU and touchier under bfloat16.

Mean-scale rather than Balle's scale-only hyperprior: the predicted means cut the rate and are
what a receiver puts in place of channel groups it did not get, so a missing group costs less.

Progressive: the M channels are split into groups (GROUPS: small first, so the low rates have
fine steps). Per training example a number of groups g is drawn uniformly from 1..G and only
the first g groups are kept: dropped channels are replaced by their predicted means before
g_s and their bits are not counted. The loss is the expected rate-distortion over prefixes,
R_g + lambda * 255^2 * MSE_g, so every prefix of groups is a trained operating point and the
channels order themselves by importance.

Quantisation in training: rate from y + U(-0.5, 0.5) around the mean and z + U(-0.5, 0.5);
g_s gets round(y - mu) + mu and h_s gets round(z) with straight-through gradients (what the
codec does at run time). z has a learned factorized prior (Balle et al. 2018, appendix 6.1).
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..codecs.progressive import DOWN  # noqa: F401  (image sides: multiples of this)

N, M = 128, 192
GROUPS = (8, 8, 16, 16, 24, 32, 40, 48)        # channels per group, send order: sum M
LAMBDA = 0.013                                   # CompressAI's bmshj2018 quality 4 (0.478 bpp on Kodak)
SCALE_MIN, SCALE_MAX, SCALE_LEVELS = 0.11, 256.0, 64   # Gaussian scale table (geometric)
LIKELIHOOD_MIN = 1e-9


def scale_table():
    return np.exp(np.linspace(np.log(SCALE_MIN), np.log(SCALE_MAX), SCALE_LEVELS))


class _LowerBound(torch.autograd.Function):
    """max(x, b) whose gradient still flows where it would push x up (else x stuck below b)."""

    @staticmethod
    def forward(ctx, x, b):
        ctx.save_for_backward(x)
        ctx.b = b
        return x.clamp_min(b)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ((x >= ctx.b) | (g < 0)).to(g.dtype), None


def ste_round(x):
    return x + (torch.round(x) - x).detach()


class SGDN(nn.Module):
    """Simplified GDN (Johnston et al. 2019). beta, gamma >= 0 through squared parameters."""

    def __init__(self, ch, inverse=False):
        super().__init__()
        self.inverse = inverse
        self.beta_p = nn.Parameter(torch.ones(ch))
        self.gamma_p = nn.Parameter(torch.sqrt(0.1 * torch.eye(ch) + 1e-4))  # off-diagonals small, not 0

    def params(self):
        return self.beta_p ** 2 + 1e-6, self.gamma_p ** 2

    def forward(self, x):
        beta, gamma = self.params()
        norm = F.conv2d(x.abs(), gamma[:, :, None, None].to(x.dtype), beta.to(x.dtype))
        return x * norm if self.inverse else x / norm


def _conv(cin, cout, k=5, s=2):
    return nn.Conv2d(cin, cout, k, s, k // 2)


def _tconv(cin, cout, k=5, s=2):
    return nn.ConvTranspose2d(cin, cout, k, s, k // 2, output_padding=s - 1)


class FactorizedPrior(nn.Module):
    """Per-channel learned density (Balle et al. 2018, appendix 6.1): the CDF is
    sigmoid(f(x)), f a composition of monotone maps x -> H x + b, x + a * tanh(x) with H >= 0
    (softplus) and a >= -1 (tanh). likelihood(v) = CDF(v + 0.5) - CDF(v - 0.5)."""

    def __init__(self, ch, filters=(3, 3, 3), init_scale=10.0):
        super().__init__()
        dims = (1,) + tuple(filters) + (1,)
        scale = init_scale ** (1 / (len(dims) - 1))
        self.h, self.b, self.a = nn.ParameterList(), nn.ParameterList(), nn.ParameterList()
        for i in range(len(dims) - 1):
            init = math.log(math.expm1(1 / scale / dims[i + 1]))
            self.h.append(nn.Parameter(torch.full((ch, dims[i + 1], dims[i]), init)))
            self.b.append(nn.Parameter(torch.rand(ch, dims[i + 1], 1) - 0.5))
            if i < len(dims) - 2:
                self.a.append(nn.Parameter(torch.zeros(ch, dims[i + 1], 1)))

    def logits(self, v):  # v: (C, 1, n)
        for i, h in enumerate(self.h):
            v = torch.matmul(F.softplus(h), v) + self.b[i]
            if i < len(self.a):
                v = v + torch.tanh(self.a[i]) * torch.tanh(v)
        return v

    def likelihood(self, z):
        """z (B, C, H, W) -> likelihoods of the unit bins around z, same shape (float32)."""
        b, c, h, w = z.shape
        v = z.float().transpose(0, 1).reshape(c, 1, -1)
        lo, up = self.logits(v - 0.5), self.logits(v + 0.5)
        sign = -torch.sign(lo + up).detach()  # evaluate in the tail where sigmoid is accurate
        lik = (torch.sigmoid(sign * up) - torch.sigmoid(sign * lo)).abs()
        return lik.reshape(c, b, h, w).transpose(0, 1).clamp_min(LIKELIHOOD_MIN)

    @torch.no_grad()
    def cdf(self, v):
        """CDF of every channel at the points v (n,) -> (C, n) float64."""
        c = self.h[0].shape[0]
        v = torch.as_tensor(v, dtype=torch.float32).view(1, 1, -1).expand(c, 1, -1)
        return torch.sigmoid(self.logits(v))[:, 0].double().numpy()


def gaussian_likelihood(v, scale):
    """P(bin of width 1 around v) under N(0, scale): v = value - mean."""
    v = v.abs()
    up = 0.5 * torch.erfc((v - 0.5) / (scale * math.sqrt(2)))  # Phi((0.5 - v) / s)
    lo = 0.5 * torch.erfc((v + 0.5) / (scale * math.sqrt(2)))  # Phi((-0.5 - v) / s)
    return (up - lo).clamp_min(LIKELIHOOD_MIN)


class ProgressiveHyperprior(nn.Module):
    def __init__(self, n=N, m=M, groups=GROUPS):
        super().__init__()
        if sum(groups) != m or min(groups) < 1:
            raise ValueError(f"groups {groups} must be positive and sum to M = {m}")
        self.n, self.m, self.groups = n, m, tuple(int(g) for g in groups)
        self.g_a = nn.Sequential(_conv(3, n), SGDN(n), _conv(n, n), SGDN(n), _conv(n, n), SGDN(n), _conv(n, m))
        self.g_s = nn.Sequential(_tconv(m, n), SGDN(n, True), _tconv(n, n), SGDN(n, True), _tconv(n, n),
                                 SGDN(n, True), _tconv(n, 3))
        self.h_a = nn.Sequential(_conv(m, n, 3, 1), nn.ReLU(), _conv(n, n), nn.ReLU(), _conv(n, n))
        self.h_s = nn.Sequential(_tconv(n, n), nn.ReLU(), _tconv(n, n), nn.ReLU(), _conv(n, 2 * m, 3, 1))
        self.prior = FactorizedPrior(n)
        self.register_buffer("cum", torch.tensor(np.cumsum((0,) + self.groups)), persistent=False)

    def entropy_parameters(self, z_hat):
        """-> means, scales (float32) of y."""
        p = self.h_s(z_hat).float()
        mu, log_s = p[:, :self.m], p[:, self.m:]
        scale = _LowerBound.apply(torch.exp(log_s.clamp(max=math.log(SCALE_MAX))), SCALE_MIN)
        return mu, scale

    def keep_mask(self, n_groups):
        """(B, M, 1, 1) 1.0 for the channels of the first n_groups[b] groups."""
        k = self.cum[n_groups.long()]
        return (torch.arange(self.m, device=k.device)[None] < k[:, None]).float()[:, :, None, None]

    def forward(self, x, n_groups=None, noise=True):
        """x (B, 3, H, W) in [0, 255], H and W multiples of 64; n_groups (B,) groups kept per
        example (None: all). Returns x_hat (float32, [0, 255] range, unclipped), bits (B,) of
        the kept part (z + kept y), mask."""
        b = x.shape[0]
        if n_groups is None:
            n_groups = torch.full((b,), len(self.groups), device=x.device)
        mask = self.keep_mask(n_groups)
        y = self.g_a(x / 255.0).float()
        z = self.h_a(y).float()
        z_lik = self.prior.likelihood(z + torch.empty_like(z).uniform_(-0.5, 0.5) if noise else torch.round(z))
        mu, scale = self.entropy_parameters(ste_round(z))
        r = y - mu
        y_lik = gaussian_likelihood(r + torch.empty_like(r).uniform_(-0.5, 0.5) if noise else torch.round(r), scale)
        y_hat = mask * (ste_round(r) + mu) + (1 - mask) * mu
        x_hat = self.g_s(y_hat).float() * 255.0
        bits = -(torch.log2(z_lik).flatten(1).sum(1) + (torch.log2(y_lik) * mask).flatten(1).sum(1))
        return x_hat, bits

    @torch.no_grad()
    def rd_prefixes(self, x):
        """Hard-quantised estimate per prefix: [(bpp, mse)] for g = 1..G on one batch (the
        likelihoods' bits; the codec's real bitstreams come within a few per cent)."""
        out = []
        for g in range(1, len(self.groups) + 1):
            n = torch.full((x.shape[0],), g, device=x.device)
            x_hat, bits = self(x, n, noise=False)
            mse = torch.mean((x_hat.clamp(0, 255).round() - x) ** 2).item()
            out.append((bits.sum().item() / (x.shape[0] * x.shape[2] * x.shape[3]), mse))
        return out


def rd_loss(model, x, lam, net=None):
    """One tail-drop training loss: groups kept ~ U{1..G} per example. -> loss, bpp, mse.
    net: what runs the forward pass (the DistributedDataParallel wrapper under torchrun)."""
    b = x.shape[0]
    n = torch.randint(1, len(model.groups) + 1, (b,), device=x.device)
    x_hat, bits = (net or model)(x, n)
    bpp = bits.sum() / (b * x.shape[2] * x.shape[3])
    mse = torch.mean((x_hat - x) ** 2)
    return bpp + lam * mse, bpp, mse
