"""Numpy channels with the same definitions as the C++ blocks (jscc.awgn_cc, jscc.rayleigh_cc)
and the training layers (training.channels): one name, one model.

SNR = 10 log10(P / sigma^2) per complex symbol, P = 1 for power-normalised symbols.
"awgn": y = x + n. "rayleigh": slow fading, y = h x + n with one h ~ CN(0,1) per call (per
image), known at the receiver: an analog receiver removes its phase (the paper's Kodak runs), a
coherent digital receiver equalises by h and weighs its soft bits by |h|^2 / sigma^2.
"""
import numpy as np


def noise(rng, n, snr_db, power=1.0):
    sigma = np.sqrt(power / 10 ** (snr_db / 10) / 2)
    return (sigma * (rng.standard_normal(n) + 1j * rng.standard_normal(n))).astype(np.complex64)


def awgn(x, snr_db, rng, power=1.0):
    return (x + noise(rng, x.size, snr_db, power)).astype(np.complex64)


def rayleigh(x, snr_db, rng, known_phase=True, power=1.0):
    """Slow block fading over the whole of x: y = h x + n, h ~ CN(0,1); returns (y, h).

    With known_phase the receiver removes arg(h): y -> y conj(h)/|h|.
    """
    h = complex((rng.standard_normal() + 1j * rng.standard_normal()) / np.sqrt(2))
    y = h * x + noise(rng, x.size, snr_db, power)
    if known_phase:
        y = y * (np.conj(h) / max(abs(h), 1e-30))
    return y.astype(np.complex64), h


CHANNELS = ("awgn", "rayleigh")


def coherent(channel, x, snr_db, rng):
    """What a coherent (digital) receiver sees: (equalised symbols, reliability |h|^2/sigma^2).
    Draws the same numbers as apply() for the same rng state."""
    sigma2 = 10 ** (-snr_db / 10)
    if channel == "awgn":
        return awgn(x, snr_db, rng), np.float32(1 / sigma2)
    if channel == "rayleigh":
        y, h = rayleigh(x, snr_db, rng, known_phase=False)
        return (y / h).astype(np.complex64), np.float32(abs(h) ** 2 / sigma2)
    raise ValueError(f"unknown channel {channel!r}; choose from {CHANNELS}")


def apply(channel, x, snr_db, rng):
    if channel == "awgn":
        return awgn(x, snr_db, rng)
    if channel == "rayleigh":
        return rayleigh(x, snr_db, rng)[0]
    raise ValueError(f"unknown channel {channel!r}; choose from {CHANNELS}")
