"""Differentiable channels on power-normalised latents (NCHW reals, pairs = complex symbols).

Complex symbol j of an example is z[:, j] + 1j * z[:, j + c/2] in channel-major order: the
first c/2 latent maps carry real parts, the last c/2 imaginary parts (same as codecs.deepjscc).
"""
import torch
from torch import nn


def noise_std(snr_db, power=1.0):
    """Per-real-component std of CN(0, sigma^2) noise with SNR = 10 log10(P / sigma^2)."""
    return (power / 10 ** (snr_db / 10) / 2) ** 0.5


class AWGN(nn.Module):
    def __init__(self, snr_db):
        super().__init__()
        self.snr_db = snr_db

    def forward(self, z):
        return z + noise_std(self.snr_db) * torch.randn_like(z)


class RayleighKnownPhase(nn.Module):
    """Slow Rayleigh block fading, h ~ CN(0,1) per example, phase known at the receiver.

    After removing the phase the receiver sees |h| z + n (n stays CN(0, sigma^2) since
    a rotation does not change circular noise); this is the paper's Kodak fading model.
    """

    def __init__(self, snr_db):
        super().__init__()
        self.snr_db = snr_db

    def forward(self, z):
        n = z.shape[0]
        h = torch.complex(torch.randn(n), torch.randn(n)) / 2 ** 0.5
        gain = h.abs().to(z.dtype).view(n, 1, 1, 1)
        return gain * z + noise_std(self.snr_db) * torch.randn_like(z)


CHANNELS = {"awgn": AWGN, "rayleigh": RayleighKnownPhase}
