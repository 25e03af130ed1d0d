"""C++ channel blocks: statistics, tags, runtime settings, bad input."""
import functools

import numpy as np
import pmt
import pytest
from gnuradio import blocks, gr, jscc


def run_chain(x, block, tags=()):
    tb = gr.top_block()
    src = blocks.vector_source_c(np.asarray(x, np.complex64).tolist() if len(x) < 1000 else x, False, 1, list(tags))
    snk = blocks.vector_sink_c()
    tb.connect(src, block, snk)
    tb.run()
    return np.array(snk.data(), np.complex64), snk.tags()


def len_tags(n_packets, plen):
    return [gr.tag_utils.python_to_tag((i * plen, pmt.intern("packet_len"), pmt.from_long(plen), pmt.PMT_NIL))
            for i in range(n_packets)]


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0])
def test_awgn_measured_snr_within_0p1_db(snr_db):
    x = np.exp(1j * 2 * np.pi * np.random.default_rng(1).random(1_000_000)).astype(np.complex64)  # power 1
    y, _ = run_chain(x, jscc.awgn_cc(snr_db, 1.0, 5))
    noise = np.mean(np.abs(y - x) ** 2)
    assert abs(10 * np.log10(1.0 / noise) - snr_db) < 0.1


def test_awgn_signal_power_and_seed():
    x = np.full(200_000, 2.0, np.complex64)  # power 4
    y1, _ = run_chain(x, jscc.awgn_cc(10.0, 4.0, 9))
    y2, _ = run_chain(x, jscc.awgn_cc(10.0, 4.0, 9))
    y3, _ = run_chain(x, jscc.awgn_cc(10.0, 4.0, 10))
    assert np.array_equal(y1, y2) and not np.array_equal(y1, y3)
    assert abs(np.mean(np.abs(y1 - x) ** 2) - 0.4) < 0.01


def test_awgn_settable_and_tags_packets():
    b = jscc.awgn_cc(10.0, 1.0, 1)
    b.set_snr_db(3.0)
    assert b.snr_db() == 3.0 and abs(b.noise_variance() - 10 ** -0.3) < 1e-6
    _, tags = run_chain(np.zeros(300, np.complex64), b, len_tags(3, 100))
    snr = [(t.offset, pmt.to_double(t.value)) for t in tags if pmt.symbol_to_string(t.key) == "snr_db"]
    assert sorted(set(snr)) == [(0, 3.0), (100, 3.0), (200, 3.0)]


def test_awgn_rejects_bad_arguments():
    with pytest.raises(Exception, match="signal_power"):
        jscc.awgn_cc(10.0, 0.0)
    with pytest.raises(Exception, match="NaN"):
        jscc.awgn_cc(float("nan"))


def test_awgn_passes_nonfinite_without_stalling():
    x = np.ones(1000, np.complex64)
    x[10] = np.nan
    y, _ = run_chain(x, jscc.awgn_cc(10.0, 1.0, 1))
    assert len(y) == 1000 and np.isnan(y[10]) and np.isfinite(np.delete(y, 10)).all()


def fading_tags(tags, key):
    return [(t.offset, pmt.to_python(t.value)) for t in tags if pmt.symbol_to_string(t.key) == key]


def test_rayleigh_gain_statistics_over_1e4_packets():
    # std of the mean of |h|^2 ~ Exp(1) over 1e4 packets is 0.01, so 2 % is a 2-sigma bound:
    # the seed is fixed to keep the run deterministic; the bias check below has a 5-sigma margin.
    n, plen = 10_000, 8
    b = jscc.rayleigh_cc(60.0, 0, False, 2)
    x = np.ones(n * plen, np.complex64)
    y, tags = run_chain(x, b, len_tags(n, plen))
    hs = fading_tags(tags, "chan_h")
    assert [o for o, _ in hs] == list(range(0, n * plen, plen)) and b.blocks() == n
    h = np.array([v for _, v in hs])
    assert abs(np.mean(np.abs(h) ** 2) - 1) < 0.02
    assert abs(np.mean(h)) < 0.03  # zero mean, uniform phase
    # h is constant over each packet and is what multiplies x (noise negligible at 60 dB)
    assert np.allclose(y.reshape(n, plen), h[:, None], atol=1e-2)


def test_rayleigh_gain_unbiased_over_1e5_blocks():
    b = jscc.rayleigh_cc(60.0, 1, False, 11)
    _, tags = run_chain(np.zeros(100_000, np.complex64), b)
    h = np.array([v for _, v in fading_tags(tags, "chan_h")])
    assert len(h) == 100_000 and abs(np.mean(np.abs(h) ** 2) - 1) < 0.016


def test_rayleigh_known_phase_and_block_len():
    b = jscc.rayleigh_cc(60.0, 50, True, 4)
    x = np.ones(500, np.complex64)
    y, tags = run_chain(x, b)
    h = np.array([v for _, v in fading_tags(tags, "chan_h")])
    assert len(h) == 10
    # the receiver knows arg h: what remains is the real gain |h|
    assert np.allclose(y.reshape(10, 50), np.abs(h)[:, None], atol=1e-2)
    inst = np.array([v for _, v in fading_tags(tags, "chan_snr_db")])
    assert np.allclose(inst, 60 + 10 * np.log10(np.abs(h) ** 2), atol=1e-3)


def test_rayleigh_noise_follows_average_snr():
    b = jscc.rayleigh_cc(10.0, 1000, True, 8)
    x = np.zeros(400_000, np.complex64)
    y, _ = run_chain(x, b)
    assert abs(10 * np.log10(1 / np.mean(np.abs(y) ** 2)) - 10.0) < 0.1


def test_rayleigh_rejects_bad_arguments():
    with pytest.raises(Exception, match="block_len"):
        jscc.rayleigh_cc(10.0, -1)
    with pytest.raises(Exception, match="len_tag_key"):
        jscc.rayleigh_cc(10.0, 0, False, 0, "")


def test_numpy_channels_match_definitions():
    from gnuradio.jscc.channels import sim
    rng = np.random.default_rng(2)
    x = np.ones(500_000, np.complex64)
    assert abs(10 * np.log10(1 / np.mean(np.abs(sim.awgn(x, 7.0, rng) - x) ** 2)) - 7.0) < 0.1
    gains = [abs(sim.rayleigh(np.ones(4, np.complex64), 80.0, rng)[1]) ** 2 for _ in range(20000)]
    assert abs(np.mean(gains) - 1) < 0.03
    y, h = sim.rayleigh(np.ones(1000, np.complex64), 80.0, rng, known_phase=True)
    assert np.allclose(y, abs(h), atol=1e-3)
    with pytest.raises(ValueError):
        sim.apply("fog", x, 1.0, rng)


# --- time-varying Rayleigh fading: rayleigh_tv_cc and its numpy twin channels.fading ("rayleigh-doppler")
#
# h is observed as y = h * 1 at 300 dB SNR (noise std 1e-15). Statistics come from K = 16
# independent realisations (seeds) of N = 65536 samples at f_d / f_s = 0.01 (655 Doppler periods
# each). Each tolerance is the mean plus about 4 standard deviations of its statistic over 40
# numpy and 10 C++ seed sets (apps/fading_stats.py, docs/channels.md); the autocorrelation one
# catches a 2 % error in the Doppler scale, the LCR one the 7 % excess of 8 sinusoids.
from gnuradio.jscc.channels import fading  # noqa: E402

FD, FS, N, K = 100.0, 1e4, 1 << 16, 16
LAGS = np.array([10, 20, 38, 61, 88])  # 2 pi f_d tau = 0.63, 1.26, 2.39 (J0's 1st zero), 3.83 (min), 5.53
LEVELS = np.array([0.3, 1.0, 1.5])     # envelope levels rho (rms 1) for the crossing checks
ACF_TOL, POWER_TOL = 0.025, 0.02           # measured worst 0.016, 0.013
LCR_TOL = AFD_TOL = np.array([0.05, 0.05, 0.08])  # relative, per level; measured worst 0.022, 0.035, 0.046
KS_DECIMATE = 100                      # one envelope sample per Doppler period for the KS check


def cpp_h(model, seeds, n=N, fd=FD, fs=FS, **kw):
    return fading.block_realisations(model, seeds, n, fd, fs, **kw)


def numpy_h(model, seeds, n=N, fd=FD, fs=FS, **kw):
    return fading.numpy_realisations(model, seeds, n, fd, fs, **kw)


GENERATORS = {"cpp": cpp_h, "numpy": numpy_h}


@functools.lru_cache(maxsize=None)
def realisations(impl, model, first_seed=1):
    return GENERATORS[impl](model, range(first_seed, first_seed + K))


def clarke_stats(h):
    return fading.measure(h, FD, FS, LAGS, LEVELS, KS_DECIMATE)


@pytest.mark.parametrize("impl", sorted(GENERATORS))
def test_fading_autocorrelation_is_j0(impl):
    err = clarke_stats(realisations(impl, "clarke"))["acf_err"]
    assert err < ACF_TOL, f"autocorrelation off J0 by {err:.4f}"


@pytest.mark.parametrize("impl", sorted(GENERATORS))
def test_fading_envelope_is_rayleigh(impl):
    h = realisations(impl, "clarke")
    m = clarke_stats(h)
    assert m["power_err"] < POWER_TOL, f"E|h|^2 - 1 = {m['power_err']:.4f}"
    assert m["ks"] < fading.ks_limit(m["ks_n"]), f"KS distance of |h|^2 from Exp(1): {m['ks']:.4f}"
    assert abs(np.mean(h)) < 0.03  # zero mean: no line of sight


@pytest.mark.parametrize("impl", sorted(GENERATORS))
def test_fading_level_crossings_follow_clarke(impl):
    m = clarke_stats(realisations(impl, "clarke"))
    lcr, afd = m["lcr_err"], m["afd_err"]
    assert np.all(np.abs(lcr) < LCR_TOL), f"LCR relative errors {lcr}"
    assert np.all(np.abs(afd) < AFD_TOL), f"AFD relative errors {afd}"


def test_fading_cpp_and_numpy_autocorrelations_agree():
    a, b = (fading.autocorrelation(realisations(i, "clarke"), LAGS) for i in ("cpp", "numpy"))
    assert np.max(np.abs(a - b)) < ACF_TOL * np.sqrt(2)  # two independent estimates


def test_fading_too_few_sinusoids_fail_the_checks():
    # the checks can fail: 8 sinusoids (E|h|^4 = 2 - 1/8) overshoot Clarke's LCR by about 7 %
    # (spread 1.2 %; 64 sinusoids are 1 % high)
    h = numpy_h("clarke", range(1, K + 1), n_sinusoids=8)
    assert clarke_stats(h)["lcr_err"][1] > LCR_TOL[1]


@pytest.mark.parametrize("impl", sorted(GENERATORS))
def test_fading_gauss_markov_is_ar1_and_rayleigh(impl):
    fd = 500.0  # rho = J0(2 pi 0.05) = 0.9755 per sample: correlation time 40 samples
    h = GENERATORS[impl]("gauss-markov", range(1, 9), fd=fd)
    rho = fading.ar1_rho(fd, 1 / FS)
    lags = np.array([1, 10, 40, 100])
    assert np.max(np.abs(fading.autocorrelation(h, lags) - rho ** lags)) < 0.03
    assert abs(np.mean(np.abs(h) ** 2) - 1) < 0.03
    g = np.abs(h[:, ::200]) ** 2  # rho^200 < 0.01: independent
    assert fading.ks_exp1(g) < fading.ks_limit(g.size)


def test_fading_update_every_holds_the_process():
    for impl, gen in GENERATORS.items():
        one, held = (gen(m, [7], n=4096, update_every=u)[0] for m, u in (("clarke", 1), ("clarke", 8)))
        assert np.all(held.reshape(-1, 8) == held[::8, None]), impl  # constant over each 8 samples
        # same seed: the held values are the per-sample process at the update instants
        assert np.allclose(held[::8], one[::8], atol=1e-4), impl
        static = gen("clarke", [2], n=1000, fd=0.0)[0]  # no Doppler: one h for ever
        assert np.allclose(static, static[0], atol=1e-6) and abs(static[0]) > 0, impl
    b = jscc.rayleigh_tv_cc(10.0, FD, FS, False, 1, 8, 0, "gauss-markov")
    assert abs(b.correlation_per_update() - fading.ar1_rho(FD, 8 / FS)) < 1e-12
    assert jscc.rayleigh_tv_cc(10.0, FD, FS).n_sinusoids() == fading.N_SINUSOIDS  # same default model


def test_fading_seeds():
    a, b, c = cpp_h("clarke", [3, 3, 4], n=2000)
    assert np.array_equal(a, b) and not np.allclose(a, c, atol=0.1)
    r1, r2 = cpp_h("clarke", [0, 0], n=2000)  # seed 0: random, so two blocks differ
    assert not np.allclose(r1, r2, atol=0.1)
    ar = cpp_h("gauss-markov", [5, 5, 6], n=2000)
    assert np.array_equal(ar[0], ar[1]) and not np.allclose(ar[0], ar[2], atol=0.1)
    n1, n2, n3 = (fading.clarke(2000, FD, FS, np.random.default_rng(s)) for s in (3, 3, 4))
    assert np.array_equal(n1, n2) and not np.allclose(n1, n3, atol=0.1)


def test_fading_noise_follows_average_snr_and_can_change():
    b = jscc.rayleigh_tv_cc(10.0, FD, FS, True, 8, signal_power=4.0)
    tb = gr.top_block()
    src = blocks.vector_source_c(np.zeros(200_000, np.complex64), False)
    snk = blocks.vector_sink_c()
    tb.connect(src, b, snk)
    tb.run()
    b.set_snr_db(0.0)  # a second run of the same flowgraph continues with the new SNR
    src.rewind()
    tb.run()
    y = np.array(snk.data())
    assert abs(np.mean(np.abs(y[:200_000]) ** 2) - 0.4) < 0.004  # P / 10^(SNR/10), P = 4
    assert abs(np.mean(np.abs(y[200_000:]) ** 2) - 4.0) < 0.04
    assert [pmt.to_double(t.value) for t in snk.tags() if pmt.symbol_to_string(t.key) == "snr_db"] == [10.0, 0.0]
    assert b.snr_db() == 0.0
    # the numpy twin's noise is the same definition (sim.noise)
    x = np.zeros(200_000, np.complex64)
    yn, _ = fading.rayleigh_doppler(x, 10.0, FD, FS, np.random.default_rng(1), power=4.0)
    assert abs(np.mean(np.abs(yn) ** 2) - 0.4) < 0.004


def test_fading_known_phase_leaves_the_gain():
    x = np.ones(5000, np.complex64)
    y_true, _ = run_chain(x, jscc.rayleigh_tv_cc(300.0, FD, FS, False, 12))
    y_known, _ = run_chain(x, jscc.rayleigh_tv_cc(300.0, FD, FS, True, 12))
    assert np.allclose(y_known, np.abs(y_true), atol=1e-5)  # same draws; only arg h removed
    yn, hn = fading.rayleigh_doppler(x, 300.0, FD, FS, np.random.default_rng(2), known_phase=True)
    assert np.allclose(yn, np.abs(hn), atol=1e-5)


def test_fading_tags():
    b = jscc.rayleigh_tv_cc(300.0, FD, FS, False, 3, 10, 100)
    y, tags = run_chain(np.ones(1000, np.complex64), b)
    hs = fading_tags(tags, "chan_h")
    assert [o for o, _ in hs] == list(range(0, 1000, 100)) and b.updates() == 100
    h = np.array([v for _, v in hs])
    assert np.allclose(h, y[::100], atol=1e-6)  # the tag is the h that multiplied the sample
    inst = np.array([v for _, v in fading_tags(tags, "chan_snr_db")])
    assert [o for o, _ in fading_tags(tags, "chan_snr_db")] == [o for o, _ in hs]
    assert np.allclose(inst, 300 + 10 * np.log10(np.abs(h) ** 2), atol=1e-3)
    assert fading_tags(tags, "snr_db") == [(0, 300.0)]
    _, none = run_chain(np.ones(1000, np.complex64), jscc.rayleigh_tv_cc(300.0, FD, FS, False, 3, 10, 0))
    assert not fading_tags(none, "chan_h") and fading_tags(none, "snr_db") == [(0, 300.0)]


@pytest.mark.parametrize("kwargs, match", [
    (dict(doppler_hz=-1.0), "doppler_hz"), (dict(doppler_hz=float("nan")), "doppler_hz"),
    (dict(samp_rate=0.0), "samp_rate"), (dict(samp_rate=float("inf")), "samp_rate"),
    (dict(snr_db=float("nan")), "NaN"), (dict(update_every=0), "update_every"), (dict(tag_every=-1), "tag_every"),
    (dict(model="jakes"), "model"), (dict(n_sinusoids=0), "n_sinusoids"), (dict(signal_power=0.0), "signal_power")])
def test_fading_rejects_bad_arguments(kwargs, match):
    args = dict(snr_db=10.0, doppler_hz=FD, samp_rate=FS) | kwargs
    with pytest.raises(ValueError, match=match):
        jscc.rayleigh_tv_cc(**args)
    if "tag_every" in kwargs:
        return  # the numpy twin has no tags
    with pytest.raises(ValueError, match=match):  # the numpy twin rejects the same
        fading.rayleigh_doppler(np.ones(4, np.complex64), args.pop("snr_db"), args.pop("doppler_hz"),
                                args.pop("samp_rate"), np.random.default_rng(1),
                                power=args.pop("signal_power", 1.0), **args)


def test_fading_set_snr_rejects_nan():
    b = jscc.rayleigh_tv_cc(10.0, FD, FS)
    with pytest.raises(ValueError, match="NaN"):
        b.set_snr_db(float("nan"))
    assert b.snr_db() == 10.0


def test_slot_gains_are_exp1_and_correlated_as_j0_squared():
    fd, slot = 10.0, 5e-3  # 2 pi f_d slot = 0.314 per slot
    g = np.stack([fading.slot_gains(2500, fd, slot, np.random.default_rng(s)) for s in range(64)])
    assert g.dtype == np.float32 and abs(np.mean(g) - 1) < 0.03
    assert fading.ks_exp1(g[:, ::40]) < fading.ks_limit(g[:, ::40].size)
    lags = np.array([1, 3, 5, 8])
    cov = np.array([np.mean(g[:, k:] * g[:, :-k]) for k in lags]) - np.mean(g) ** 2
    # J0^2, less about 1/M for M sinusoids (E|h|^4 = 2 - 1/M); measured error 0.018 +- 0.007
    assert np.max(np.abs(cov - fading.clarke_autocorrelation(lags * slot, fd) ** 2)) < 0.05
    with pytest.raises(ValueError, match="slot_s"):
        fading.slot_gains(10, fd, 0.0, np.random.default_rng(1))


def test_channel_sim_rayleigh_doppler():
    from gnuradio.jscc import channel_sim
    ch = channel_sim("rayleigh-doppler", snr_db=300.0, doppler_hz=FD, samp_rate=FS, seed=4)
    y, _ = run_chain(np.ones(N, np.complex64), ch)
    # varies under the signal as Clarke's model says (one realisation: the quadrature of J0 over
    # 64 random angles is within about 0.1 at these lags)
    assert np.max(np.abs(fading.autocorrelation(y, LAGS[:2]) - fading.clarke_autocorrelation(LAGS[:2] / FS, FD))) < 0.1
    assert np.std(np.abs(y)) > 0.3
    ch.set_snr_db(5.0)
    assert ch.noise.snr_db() == 5.0
    with pytest.raises(ValueError, match="finite"):
        channel_sim("rayleigh-doppler", doppler_hz=float("nan"))
