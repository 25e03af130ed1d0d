"""Time-correlated flat Rayleigh fading ("rayleigh-doppler"): the numpy twin of jscc.rayleigh_tv_cc.

y[n] = h[n] x[n] + w[n], h a unit-power complex Gaussian process with Clarke's (Jakes') Doppler
spectrum, autocorrelation E[h(t + tau) h*(t)] = J0(2 pi f_d tau); w as in sim.noise (SNR is the
average SNR, E|h|^2 = 1). Same algorithm as the C++ block, not the same random numbers.

model "clarke": the sum-of-sinusoids model of Xiao, Zheng & Beaulieu (IEEE Trans. Wireless
Commun. 5(12), 2006), Clarke's model with stratified arrival angles:
    h(t) = M^-1/2 sum_n exp(j (2 pi f_d cos(a_n) t + phi_n)),  a_n = (2 pi n + theta_n) / M,
theta_n, phi_n iid uniform on [-pi, pi). Each a_n is uniform on its own 2 pi / M sector, so over
the ensemble a is uniform on the circle and E[h(t + tau) h*(t)] = E_a exp(j 2 pi f_d tau cos a) =
J0(2 pi f_d tau) exactly for any M (the phases phi_n kill the cross terms; E|h|^2 = 1). One
realisation's time-averaged power tends to 1 too (M unit phasors at distinct frequencies). The
envelope is Rayleigh only as M grows (central limit; E|h|^4 = 2 - 1/M instead of 2), hence
M = N_SINUSOIDS = 64 by default (Kolmogorov-Smirnov distance of |h|^2 from Exp(1) about 0.003,
level crossing rate within 1 % of Clarke's; M = 32 is 2 % high, M = 8 7 %).
h is evaluated at the sample instants, so there is no filter, start-up transient or aliasing
whatever f_d / samp_rate is.

model "gauss-markov": AR(1), h[k] = rho h[k-1] + sqrt(1 - rho^2) CN(0, 1), h[0] ~ CN(0, 1), with
rho = J0(2 pi f_d T) per update (T = update_every / samp_rate): exactly CN(0, 1) at every step, the
lag-one correlation of Clarke's model, then rho^k (exponential, not J0) beyond; rho = 0
(independent fading per update) once 2 pi f_d T passes J0's first zero, 2.405.

update_every N holds h for N samples (h[n] = h(floor(n / N) N / samp_rate)), e.g. once per OFDM
symbol.
"""
import math

import numpy as np
from scipy.signal import lfilter
from scipy.special import j0

from . import sim

MODELS = ("clarke", "gauss-markov")
N_SINUSOIDS = 64  # default M of the "clarke" model, the same in rayleigh_tv_cc
J0_FIRST_ZERO = 2.404825557695773
_ROWS = 1024  # clarke() evaluates h at k = b * _ROWS + j as a product of exp tables (one GEMM)


def check(doppler_hz, samp_rate, update_every=1, model="clarke", n_sinusoids=N_SINUSOIDS):
    """ValueError for what rayleigh_tv_cc rejects too."""
    if not (math.isfinite(doppler_hz) and doppler_hz >= 0):
        raise ValueError(f"doppler_hz must be finite and >= 0, got {doppler_hz!r}")
    if not (math.isfinite(samp_rate) and samp_rate > 0):
        raise ValueError(f"samp_rate must be finite and > 0, got {samp_rate!r}")
    if int(update_every) != update_every or update_every < 1:
        raise ValueError(f"update_every must be an integer >= 1, got {update_every!r}")
    if model not in MODELS:
        raise ValueError(f"fading model must be one of {MODELS}, got {model!r}")
    if int(n_sinusoids) != n_sinusoids or n_sinusoids < 1:
        raise ValueError(f"n_sinusoids must be an integer >= 1, got {n_sinusoids!r}")


def ar1_rho(doppler_hz, step_s):
    """Gauss-Markov correlation per update of step_s seconds: Clarke's lag-one value, 0 once the
    update is longer than J0's first zero (J0 turns negative, then oscillates)."""
    x = 2 * math.pi * doppler_hz * step_s
    return float(j0(x)) if x < J0_FIRST_ZERO else 0.0


def _hold(g, n, update_every):
    return np.repeat(g, update_every)[:n] if update_every > 1 else g[:n]


def clarke(n, doppler_hz, samp_rate, rng, n_sinusoids=N_SINUSOIDS, update_every=1):
    """n samples of the "clarke" process (complex64), held for update_every samples."""
    check(doppler_hz, samp_rate, update_every, "clarke", n_sinusoids)
    m = int(n_sinusoids)
    theta = rng.uniform(-np.pi, np.pi, m)
    phi = rng.uniform(-np.pi, np.pi, m)
    alpha = (2 * np.pi * np.arange(1, m + 1) + theta) / m
    w = 2 * np.pi * doppler_hz * update_every / samp_rate * np.cos(alpha)  # rad per update
    k = -(-n // update_every)  # updates needed
    rows = np.exp(1j * np.outer(np.arange(min(k, _ROWS)), w))  # e^{j w j}, j < _ROWS
    g = np.empty(k, np.complex64)
    for b0 in range(0, k, _ROWS * _ROWS):  # block starts k0 = b * _ROWS, at most _ROWS of them per GEMM
        starts = np.arange(b0, min(k, b0 + _ROWS * _ROWS), _ROWS, dtype=np.float64)
        cols = np.exp(1j * (phi[:, None] + np.outer(w, starts)))  # e^{j (phi + w k0)}
        block = (rows @ cols).T.ravel() / math.sqrt(m)  # h at k0 + j, k0 in starts order
        g[b0:b0 + block.size] = block[:k - b0]
    return _hold(g, n, update_every)


def gauss_markov(n, doppler_hz, samp_rate, rng, update_every=1):
    """n samples of the "gauss-markov" (AR(1)) process (complex64), held for update_every samples."""
    check(doppler_hz, samp_rate, update_every, "gauss-markov")
    rho = ar1_rho(doppler_hz, update_every / samp_rate)
    k = -(-n // update_every)
    e = (rng.standard_normal(k) + 1j * rng.standard_normal(k)) / math.sqrt(2)
    e[1:] *= math.sqrt(1 - rho * rho)  # h[0] = e[0] ~ CN(0, 1): stationary from the start
    return _hold(lfilter([1.0], [1.0, -rho], e).astype(np.complex64), n, update_every)


def process(model, n, doppler_hz, samp_rate, rng, update_every=1, n_sinusoids=N_SINUSOIDS):
    """h of the named model (see MODELS)."""
    check(doppler_hz, samp_rate, update_every, model, n_sinusoids)
    if model == "clarke":
        return clarke(n, doppler_hz, samp_rate, rng, n_sinusoids, update_every)
    return gauss_markov(n, doppler_hz, samp_rate, rng, update_every)


def rayleigh_doppler(x, snr_db, doppler_hz, samp_rate, rng, known_phase=False, update_every=1,
                     model="clarke", power=1.0, n_sinusoids=N_SINUSOIDS):
    """y = h x + w as rayleigh_tv_cc computes it; returns (y, h). With known_phase the receiver
    removes arg h[n] per sample: y -> y conj(h)/|h| (w stays circular, so CN(0, sigma^2))."""
    if math.isnan(snr_db):
        raise ValueError("snr_db is NaN")
    if not (math.isfinite(power) and power > 0):
        raise ValueError(f"signal_power must be finite and > 0, got {power!r}")
    x = np.asarray(x, np.complex64)
    h = process(model, x.size, doppler_hz, samp_rate, rng, update_every, n_sinusoids)
    y = h * x + sim.noise(rng, x.size, snr_db, power)
    if known_phase:
        y = y * (np.conj(h) / np.maximum(np.abs(h), 1e-30))
    return y.astype(np.complex64), h


def slot_gains(n_slots, doppler_hz, slot_s, rng, model="clarke", n_sinusoids=N_SINUSOIDS):
    """Per-slot channel gains |h|^2 (float32) for a slot simulator: h sampled once at the start of
    each slot of slot_s seconds, i.e. rayleigh_tv_cc with update_every = one slot. Sampled rather
    than averaged over the slot so that each gain is exactly Exp(1) (the block-fading-per-slot
    model a receiver that equalises once per slot sees) and the gains of slots k apart have
    correlation J0(2 pi f_d k slot_s)^2, the |h|^2 correlation of a Gaussian process; an average
    would shrink the spread by an amount that depends on f_d slot_s."""
    if not (math.isfinite(slot_s) and slot_s > 0):
        raise ValueError(f"slot_s must be finite and > 0, got {slot_s!r}")
    h = process(model, int(n_slots), doppler_hz, 1.0 / slot_s, rng, 1, n_sinusoids)
    return (np.abs(h) ** 2).astype(np.float32)


# --- Clarke's formulas and their estimators (tests/test_channels.py, apps/fading_stats.py)

def clarke_autocorrelation(tau_s, doppler_hz):
    """E[h(t + tau) h*(t)] = J0(2 pi f_d tau)."""
    return j0(2 * np.pi * doppler_hz * np.asarray(tau_s, np.float64))


def level_crossing_rate(rho, doppler_hz):
    """Upward crossings per second of |h| through rho (E|h|^2 = 1): sqrt(2 pi) f_d rho exp(-rho^2)."""
    rho = np.asarray(rho, np.float64)
    return np.sqrt(2 * np.pi) * doppler_hz * rho * np.exp(-rho ** 2)


def average_fade_duration(rho, doppler_hz):
    """Mean time |h| stays below rho: P(|h| < rho) / LCR = (exp(rho^2) - 1) / (sqrt(2 pi) f_d rho)."""
    rho = np.asarray(rho, np.float64)
    return np.expm1(rho ** 2) / (np.sqrt(2 * np.pi) * doppler_hz * rho)


def autocorrelation(h, lags):
    """Time-averaged E[h[n + lag] h*[n]] of each row of h (one realisation per row), averaged over rows."""
    h = np.atleast_2d(np.asarray(h, np.complex128))
    return np.array([np.mean(h[:, lag:] * np.conj(h[:, :h.shape[1] - lag])) for lag in lags])


def crossings(h, levels):
    """(upward crossings of |h| through each level per sample, mean fade length in samples); rows are
    realisations, boundaries between rows are not crossings."""
    a = np.abs(np.atleast_2d(np.asarray(h)))
    rate, afd = [], []
    for r in levels:
        below = a < r
        up = np.count_nonzero(below[:, :-1] & ~below[:, 1:])
        rate.append(up / a.size)
        afd.append(np.count_nonzero(below) / max(up, 1))
    return np.array(rate), np.array(afd)


def ks_exp1(g):
    """Kolmogorov-Smirnov distance of the samples g (|h|^2) from Exp(1)."""
    g = np.sort(np.ravel(np.asarray(g, np.float64)))
    f = -np.expm1(-g)
    n = g.size
    return float(max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n)))


def measure(h, doppler_hz, samp_rate, lags, levels, ks_decimate):
    """How far realisations h (one per row) are from Clarke's model: the autocorrelation's real
    part at lags (samples) and its largest distance from J0, |E|h|^2 - 1|, the KS distance of
    |h|^2 (every ks_decimate-th sample, ks_n of them) from Exp(1), and the relative errors of the
    level crossing rate and average fade duration at the envelope levels (rms 1)."""
    h = np.atleast_2d(h)
    lags, levels = np.asarray(lags), np.asarray(levels, np.float64)
    rate, afd = crossings(h, levels)
    g = np.abs(h[:, ::ks_decimate]) ** 2
    acf = autocorrelation(h, lags)
    j0_lags = clarke_autocorrelation(lags / samp_rate, doppler_hz)
    return dict(acf=acf.real, acf_err=float(np.max(np.abs(acf - j0_lags))),
                power_err=float(abs(np.mean(np.abs(h) ** 2) - 1)), ks=ks_exp1(g), ks_n=g.size,
                lcr_err=rate * samp_rate / level_crossing_rate(levels, doppler_hz) - 1,
                afd_err=afd / samp_rate / average_fade_duration(levels, doppler_hz) - 1)


def ks_limit(n):
    """KS distance that n independent samples exceed with probability 0.001 (asymptotic)."""
    return 1.95 / math.sqrt(n)


def numpy_realisations(model, seeds, n, doppler_hz, samp_rate, **kwargs):
    """process() for each seed (np.random.default_rng(seed)), one row each."""
    return np.stack([process(model, n, doppler_hz, samp_rate, np.random.default_rng(s), **kwargs) for s in seeds])


def block_realisations(model, seeds, n, doppler_hz, samp_rate, **kwargs):
    """rayleigh_tv_cc's h, one row per seed, to measure the C++ block with the estimators above:
    x = 1 at 300 dB SNR, so y = h (noise std 1e-15). kwargs: the block's other arguments."""
    from gnuradio import blocks, gr
    from ..jscc_python import rayleigh_tv_cc
    tb = gr.top_block()
    src = blocks.vector_source_c(np.ones(n, np.complex64), False)
    sinks = []
    for s in seeds:
        sinks.append(blocks.vector_sink_c())
        tb.connect(src, rayleigh_tv_cc(300.0, doppler_hz, samp_rate, False, s, model=model, **kwargs), sinks[-1])
    tb.run()
    return np.array([snk.data() for snk in sinks], np.complex64)
