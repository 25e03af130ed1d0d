"""C++ channel blocks: statistics, tags, runtime settings, bad input."""
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
