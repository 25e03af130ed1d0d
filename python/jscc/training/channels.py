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


class VariableSNR(nn.Module):
    """A fresh SNR per example, for SNR-adaptive models: draw() gives (snr_tx, snr_rx) in dB,
    shape (n, 1): what the encoder and the decoder are told; forward adds AWGN at snr_rx.

    AWGN: SNR ~ U(lo, hi) dB, known at both ends. With probability rayleigh_mix an example is
    sent over slow Rayleigh fading instead: the transmitter knows only the average SNR
    ~ U(lo, hi); the receiver knows h (as the OFDM receiver estimates it), equalises and measures
    the instantaneous SNR |h|^2 * SNR (|h|^2 ~ Exp(1)), so the decoder sees AWGN at that SNR and
    is told it. The fading examples teach the encoder to send for an SNR it cannot know exactly.
    """

    def __init__(self, lo=0.0, hi=20.0, rayleigh_mix=0.0):
        super().__init__()
        if not lo < hi or not 0.0 <= rayleigh_mix <= 1.0:
            raise ValueError(f"need lo < hi and 0 <= rayleigh_mix <= 1 (got {lo}, {hi}, {rayleigh_mix})")
        self.lo, self.hi, self.rayleigh_mix = float(lo), float(hi), float(rayleigh_mix)

    def draw(self, n, device="cpu"):
        snr_tx = self.lo + (self.hi - self.lo) * torch.rand(n, 1)
        snr_rx = snr_tx
        if self.rayleigh_mix > 0:
            gain = -torch.log1p(-torch.rand(n, 1))  # |h|^2 ~ Exp(1), never log(0)
            fade = torch.rand(n, 1) < self.rayleigh_mix
            snr_rx = torch.where(fade, snr_tx + 10 * torch.log10(gain.clamp_min(1e-12)), snr_tx)
        return snr_tx.to(device), snr_rx.to(device)

    def forward(self, z, snr_rx_db):
        std = noise_std(snr_rx_db.to(z.dtype)).view(-1, *[1] * (z.dim() - 1))
        return z + std * torch.randn_like(z)
