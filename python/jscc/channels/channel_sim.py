"""Channel Simulator hier block: the impairments a radio link adds, for pure simulation.

Order: multipath (static tapped delay line) -> Rayleigh fading -> carrier frequency offset
-> sample timing / sampling-rate offset -> phase noise -> AWGN. GNU Radio's in-tree blocks do
the work where they exist (fir_filter_ccc, rotator_cc, mmse_resampler_cc, phase_noise_gen);
the noise comes from gr-jscc's awgn_cc / rayleigh_cc / rayleigh_tv_cc so the SNR means what the rest of the
module means by it: signal_power over noise power per complex sample.
"""
import math

import numpy as np
from gnuradio import blocks, channels, filter, gr

from .. import cli
from ..jscc_python import awgn_cc, rayleigh_cc, rayleigh_tv_cc
from .fading import N_SINUSOIDS

# One name, one model across numpy (channels.sim), training and GNU Radio: "rayleigh" is slow
# fading with one h ~ CN(0,1) per transmission (per image), as in the paper; a fresh h every
# fading_block samples under one image is another model with its own name, and fading that
# changes continuously with a Doppler spectrum ("rayleigh-doppler", channels.fading) a third.
KINDS = ("awgn", "block-fading", "rayleigh-doppler", "multipath", "none")


def exponential_taps(rms_delay, n_taps, seed=1):
    """One Rayleigh draw of a tapped delay line with an exponential power-delay profile
    (rms delay spread in samples), normalised to unit energy."""
    rng = np.random.default_rng(seed)
    k = np.arange(n_taps)
    p = np.exp(-k / max(rms_delay, 1e-6))
    p /= p.sum()
    h = np.sqrt(p / 2) * (rng.standard_normal(n_taps) + 1j * rng.standard_normal(n_taps))
    return (h / np.sqrt(np.sum(np.abs(h) ** 2))).astype(np.complex64)


def add_arguments(parser):
    """The impairment options of apps/loopback.py and apps/channel_sim.py (the channel kind and the
    SNR are the apps' own)."""
    g = parser.add_argument_group("channel impairments")
    g.add_argument("--cfo", type=cli.finite_float, default=0.0, help="carrier offset, subcarrier spacings")
    g.add_argument("--timing", type=cli.unit_interval, default=0.0, help="fractional sample delay [0, 1)")
    g.add_argument("--delay", type=cli.nonneg_int, default=0, help="samples of silence before the signal")
    g.add_argument("--sro-ppm", type=cli.finite_float, default=0.0, help="sampling-rate offset (ppm)")
    g.add_argument("--phase-noise", type=cli.nonneg_float, default=0.0, help="phase noise std (rad) before filtering")
    g.add_argument("--rms-delay", type=cli.positive_float, default=2.0, help="multipath rms delay spread (samples)")
    g.add_argument("--fading-block", type=cli.positive_int, default=8192, help="samples per Rayleigh fading block")
    g.add_argument("--doppler-hz", "--doppler", type=cli.nonneg_float, default=100.0,
                   help="rayleigh-doppler (and rayleigh over the OFDM PHY): maximum Doppler (Hz)")
    g.add_argument("--samp-rate", type=cli.positive_float, default=1e6, help="rayleigh-doppler: sample rate (Hz)")
    return g


def impairments_from(args):
    """channel_sim keyword arguments from add_arguments' options."""
    return dict(cfo=args.cfo, timing=args.timing, delay=args.delay, sro_ppm=args.sro_ppm,
                phase_noise=args.phase_noise, rms_delay=args.rms_delay, fading_block=args.fading_block,
                doppler_hz=args.doppler_hz, samp_rate=args.samp_rate)


class channel_sim(gr.hier_block2):
    """kind: "awgn", "block-fading" (flat block fading, a fresh h ~ CN(0,1) every fading_block
    samples, AWGN at the average SNR), "rayleigh-doppler" (flat fading that varies every sample
    with Clarke's Doppler spectrum at maximum Doppler doppler_hz for a signal at samp_rate,
    rayleigh_tv_cc; AWGN at the average SNR), "multipath" (static exponential-profile taps of rms delay
    rms_delay samples, n_taps long: keep it inside the cyclic prefix; AWGN) or "none".
    cfo: frequency offset in subcarrier spacings of an fft_len OFDM signal (0.4 -> 0.4/fft_len
    cycles per sample). timing: fractional sample delay in [0, 1); sro_ppm: sampling-rate offset.
    delay: whole samples of silence in front. phase_noise: std (rad) of the per-sample phase
    noise before its one-pole filter (alpha). seed: noise, fading and taps (> 0 for repeatable).
    """

    def __init__(self, kind="awgn", snr_db=20.0, cfo=0.0, fft_len=64, timing=0.0, sro_ppm=0.0, delay=0,
                 phase_noise=0.0, phase_noise_alpha=0.01, rms_delay=2.0, n_taps=8, fading_block=8192,
                 signal_power=1.0, seed=1, doppler_hz=100.0, samp_rate=1e6):
        gr.hier_block2.__init__(self, "jscc_channel_sim", gr.io_signature(1, 1, gr.sizeof_gr_complex),
                                gr.io_signature(1, 1, gr.sizeof_gr_complex))
        if kind not in KINDS:
            hint = (" (fading that changes under an image is 'block-fading' or 'rayleigh-doppler')"
                    if kind == "rayleigh" else "")
            raise ValueError(f"channel kind must be one of {KINDS}, got {kind!r}{hint}")
        if not 0.0 <= timing < 1.0:
            raise ValueError("timing must be a fractional delay in [0, 1)")
        if not all(map(math.isfinite, (snr_db, cfo, timing, sro_ppm, phase_noise, doppler_hz, samp_rate))):
            raise ValueError("channel parameters must be finite")
        chain = []
        if delay > 0:
            chain.append(blocks.delay(gr.sizeof_gr_complex, int(delay)))
        if kind == "multipath":
            self.taps = exponential_taps(rms_delay, n_taps, seed)
            chain.append(filter.fir_filter_ccc(1, self.taps.tolist()))
        if cfo:
            chain.append(blocks.rotator_cc(2 * math.pi * cfo / fft_len))
        if timing or sro_ppm:
            chain.append(filter.mmse_resampler_cc(timing, 1.0 + sro_ppm * 1e-6))
        if phase_noise:
            chain.append(channels.phase_noise_gen(phase_noise, phase_noise_alpha))
        if kind == "block-fading":
            self.noise = rayleigh_cc(snr_db, int(fading_block), False, seed, "", signal_power)
        elif kind == "rayleigh-doppler":
            self.noise = rayleigh_tv_cc(snr_db, doppler_hz, samp_rate, False, seed, 1, 0, "clarke", N_SINUSOIDS,
                                        signal_power)
        elif kind != "none":
            self.noise = awgn_cc(snr_db, signal_power, seed, "")
        else:
            self.noise = blocks.copy(gr.sizeof_gr_complex)
        chain.append(self.noise)
        self.chain = chain
        self.connect(self, *chain, self)

    def set_snr_db(self, snr_db):
        self.noise.set_snr_db(snr_db)
