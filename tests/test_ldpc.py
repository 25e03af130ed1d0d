"""LDPC codes (C++ ldpc_code through the bindings): encoder, decoder, reference agreement, blocks."""
import json

import numpy as np
import pytest
from conftest import rng, run_app, run_msgs

from gnuradio import jscc
from gnuradio.jscc.coding import ldpc_sim

CODES = jscc.ldpc_codes()
# (n, k, base graph, Z, fillers): the construction docs/ldpc.md derives
EXPECTED = {"8192-1/2": (8192, 4096, 1, 192, 128), "6144-2/3": (6144, 4096, 1, 192, 128),
            "6144-1/3": (6144, 2048, 2, 208, 32)}


@pytest.fixture(scope="module", params=CODES)
def code(request):
    return jscc.ldpc_code(request.param)


def syndrome(code, cw):
    pc = code.parity_check()
    return np.bincount(pc["rows"], weights=cw[pc["cols"]], minlength=pc["shape"][0]).astype(int) % 2


def test_codes_have_the_standard_parameters(code):
    assert CODES == list(EXPECTED)
    assert (code.n, code.k, code.base_graph, code.z, code.fillers) == EXPECTED[code.name]
    assert code.rate == pytest.approx(code.k / code.n)
    assert jscc.ldpc_kernels()[-1] == "scalar" and code.kernel == jscc.ldpc_kernels()[0]


def test_every_codeword_satisfies_every_check(code):
    pc = code.parity_check()
    info = rng(1).integers(0, 2, (4, code.k), dtype=np.uint8)
    coded = code.encode_batch(info)
    for i in range(len(info)):
        cw = code.encode_codeword(info[i])
        assert cw.size == pc["shape"][1] and not syndrome(code, cw).any()
        assert np.array_equal(cw[:code.k], info[i]) and not cw[pc["filler_columns"]].any()
        assert np.array_equal(cw[pc["tx_columns"]], coded[i]) and np.array_equal(code.encode(info[i]), coded[i])
        cw[code.k + 5 * code.z] ^= 1  # a parity bit flipped: some check fails
        assert syndrome(code, cw).any()
    # the transmitted bits: systematic after the 2Z punctured columns, fillers skipped
    assert np.array_equal(pc["tx_columns"][:code.k - 2 * code.z], np.arange(2 * code.z, code.k))
    assert pc["tx_columns"][code.k - 2 * code.z] == code.k + code.fillers


def test_encoder_matches_py3gpp(code):
    """Independent 5G NR encoder and rate matcher (nrLDPCEncode, nrRateMatchLDPC, rv 0)."""
    py3gpp = pytest.importorskip("py3gpp")
    from py3gpp.nrLDPCEncode import nrLDPCEncode
    from py3gpp.nrRateMatchLDPC import nrRateMatchLDPC
    assert py3gpp
    for seed in (2, 3):
        info = rng(seed).integers(0, 2, code.k, dtype=np.uint8)
        mother = nrLDPCEncode(np.concatenate([info, -np.ones(code.fillers)])[:, None], code.base_graph)
        assert np.array_equal(nrRateMatchLDPC(mother, code.n, 0, "BPSK", 1).astype(np.uint8), code.encode(info))
        ours = code.encode_codeword(info)[2 * code.z:]
        theirs = np.maximum(mother[:ours.size, 0], 0)  # fillers are -1 there
        assert np.array_equal(theirs, ours)


def test_noiseless_and_high_snr_decode(code):
    info = rng(4).integers(0, 2, (6, code.k), dtype=np.uint8)
    coded = code.encode_batch(info)
    bits, ok, it = code.decode((8.0 * (1.0 - 2.0 * coded[0])).astype(np.float32))
    assert ok and it == 1 and np.array_equal(bits, info[0])
    llr = ldpc_sim.bpsk_awgn_llr(coded, code.rate, 4.0, rng(5))
    bits, ok, it = code.decode_batch(llr)
    assert ok.all() and np.array_equal(bits, info) and (it <= 10).all()


def test_erasures_are_recovered(code):
    info = rng(6).integers(0, 2, code.k, dtype=np.uint8)
    llr = ldpc_sim.bpsk_awgn_llr(code.encode(info), code.rate, 4.0, rng(7))
    llr[rng(8).random(code.n) < 0.15] = 0.0
    bits, ok, _ = code.decode(llr)
    assert ok and np.array_equal(bits, info)


def test_nonfinite_llrs_count_as_erasures(code):
    info = rng(9).integers(0, 2, code.k, dtype=np.uint8)
    llr = ldpc_sim.bpsk_awgn_llr(code.encode(info), code.rate, 3.0, rng(10))
    bad = rng(11).choice(code.n, 300, replace=False)
    poisoned = llr.copy()
    poisoned[bad] = np.array([np.nan, np.inf, -np.inf])[np.arange(bad.size) % 3]
    erased = llr.copy()
    erased[bad] = 0.0
    a, b = code.decode(poisoned), code.decode(erased)
    assert np.array_equal(a[0], b[0]) and a[1:] == b[1:] and a[1] and np.array_equal(a[0], info)


def test_pure_noise_is_reported_as_failure(code):
    llr = rng(12).normal(0, 1, code.n).astype(np.float32)
    _, ok, it = code.decode(llr, max_iter=20)
    assert not ok and it == 20
    _, ok, it = code.decode(llr, max_iter=0)
    assert not ok and it == 0


def test_batch_equals_single():
    code = jscc.ldpc_code("8192-1/2")
    info, llr = ldpc_sim.noisy_frames(code, 1.0, 12, rng(13))  # waterfall: some frames fail
    bits, ok, it = code.decode_batch(llr, 30, threads=2)
    assert 0 < ok.sum() < len(ok) or pytest.fail(f"no mix of outcomes: {ok}")
    for i in range(len(llr)):
        b, o, n = code.decode(llr[i], 30)
        assert np.array_equal(b, bits[i]) and o == ok[i] and n == it[i]


@pytest.mark.parametrize("name", ["8192-1/2", "6144-1/3"])  # Z 192 and 208 (lanes do not divide 208)
def test_every_kernel_gives_identical_results(name):
    code = jscc.ldpc_code(name)
    info, llr = ldpc_sim.noisy_frames(code, 0.8, 3, rng(14))
    results = {}
    for k in jscc.ldpc_kernels():
        code.kernel = k
        results[k] = code.decode_batch(llr, 8, 1)
    ref = results["scalar"]
    for k, r in results.items():
        assert all(np.array_equal(x, y) for x, y in zip(r, ref)), k


def test_agreement_with_the_reference_decoder():
    """PyPI ldpc on the same frames and matrix: the same frames succeed and fail (>= 95 %)."""
    pytest.importorskip("ldpc")
    code = jscc.ldpc_code("6144-2/3")
    r = ldpc_sim.simulate(code, 1.8, 60, seed=1, reference_frames=60)
    assert 0 < r["frame_errors"] or 0 < r["reference_frame_errors"], r  # a point where frames fail
    assert r["agreement"] >= 0.95, r


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="unknown code '4096-1/2'.*8192-1/2"):
        jscc.ldpc_code("4096-1/2")
    code = jscc.ldpc_code("8192-1/2")
    with pytest.raises(ValueError, match=r"encode: expected shape \(4096\), got \(4095\)"):
        code.encode(np.zeros(4095, np.uint8))
    with pytest.raises(ValueError, match=r"encode_batch: expected shape \(m, 4096\)"):
        code.encode_batch(np.zeros(4096, np.uint8))
    with pytest.raises(ValueError, match=r"decode: expected shape \(8192\)"):
        code.decode(np.zeros(8191, np.float32))
    with pytest.raises(ValueError, match=r"decode_batch: expected shape \(m, 8192\)"):
        code.decode_batch(np.zeros((2, 6144), np.float32))
    with pytest.raises(ValueError, match="max_iter"):
        code.decode(np.zeros(8192, np.float32), max_iter=-1)
    with pytest.raises(ValueError, match="kernel 'avx9000'"):
        code.kernel = "avx9000"


def test_eval_app_and_benchmark(tmp_path):
    pytest.importorskip("ldpc")
    out = tmp_path / "ldpc.json"
    r = run_app("ldpc_eval.py", "--code", "6144-1/3", "--ebn0", "3", "--frames", "30", "--reference-frames", "3",
                "--json", out, "--plot", tmp_path / "ldpc.png", timeout=120)
    assert r.returncode == 0, r.stderr
    d = json.loads(out.read_text())
    row = d["results"][0]
    assert d["code"] == "6144-1/3" and row["frames"] == 30 and row["fer"] == 0 and row["reference_fer"] == 0
    assert {"ebn0_db", "frames", "fer", "ber", "reference_fer", "mean_iterations"} <= set(row)
    assert (tmp_path / "ldpc.png").stat().st_size > 10000
    b = ldpc_sim.benchmark(frames=40, reference_frames=2, repeats=1)
    assert b["ldpc_decode_mbps"] > 0 and b["ldpc_reference_mbps"] > 0 and b["ldpc_frame_errors"] == 0


def test_pdu_blocks_in_a_flowgraph():
    import pmt
    from gnuradio.jscc import meta as M
    from gnuradio.jscc.pmtio import to_numpy, to_pmt
    name = "6144-2/3"
    code = jscc.ldpc_code(name)
    enc = jscc.ldpc_encoder_pdu(name)
    info = rng(20).integers(0, 2, 3 * code.k, dtype=np.uint8)
    good = pmt.cons(M.with_entries(pmt.make_dict(), image_id=7), to_pmt(info))
    bad = [pmt.intern("junk"), pmt.cons(pmt.make_dict(), to_pmt(info[:-1])),
           pmt.cons(pmt.make_dict(), to_pmt(info.astype(np.float32)))]
    out = run_msgs(enc, bad + [good], 1)
    assert len(out) == 1 and enc.dropped() == 3 and enc.codewords() == 3
    coded = to_numpy(pmt.cdr(out[0]))
    assert M.to_dict(pmt.car(out[0]))["image_id"] == 7
    assert np.array_equal(coded, code.encode_batch(info.reshape(3, -1)).ravel())

    llr = ldpc_sim.bpsk_awgn_llr(coded, code.rate, 3.0, rng(21))
    llr[code.n:2 * code.n] = rng(22).normal(0, 1, code.n)  # one codeword of noise
    dec = jscc.ldpc_decoder_pdu(name, 30, 2)
    bad = [pmt.cons(pmt.make_dict(), to_pmt(llr[:-1])), pmt.cons(pmt.make_dict(), to_pmt(coded)), pmt.PMT_NIL]
    out = run_msgs(dec, bad + [pmt.cons(pmt.car(good), to_pmt(llr))], 1)
    assert len(out) == 1 and dec.dropped() == 3 and dec.codewords() == 3 and dec.failed() == 1
    d = M.to_dict(pmt.car(out[0]))
    assert d["image_id"] == 7 and d["ldpc_ok"] is False and d["ldpc_failed"] == 1 and 1 <= d["ldpc_iterations"]
    bits = to_numpy(pmt.cdr(out[0])).reshape(3, -1)
    ref = info.reshape(3, -1)
    assert np.array_equal(bits[0], ref[0]) and np.array_equal(bits[2], ref[2])

    # encoder -> BPSK LLRs -> decoder, noiseless: every codeword fine
    out = run_msgs([jscc.ldpc_encoder_pdu(name), bits_to_llr(), jscc.ldpc_decoder_pdu(name)], [good], 1)
    d = M.to_dict(pmt.car(out[0]))
    assert d["ldpc_ok"] is True and d["ldpc_failed"] == 0 and d["image_id"] == 7
    assert np.array_equal(to_numpy(pmt.cdr(out[0])), info)


def bits_to_llr():
    """u8 bit PDUs -> f32 LLR PDUs of noiseless BPSK."""
    import pmt
    from gnuradio import gr
    from gnuradio.jscc.pmtio import to_numpy, to_pmt

    class b2l(gr.basic_block):
        def __init__(self):
            gr.basic_block.__init__(self, name="bits_to_llr", in_sig=None, out_sig=None)
            self.message_port_register_in(pmt.intern("in"))
            self.message_port_register_out(pmt.intern("out"))
            self.set_msg_handler(pmt.intern("in"), self.handle)

        def handle(self, msg):
            llr = (8.0 * (1.0 - 2.0 * to_numpy(pmt.cdr(msg)))).astype(np.float32)
            self.message_port_pub(pmt.intern("out"), pmt.cons(pmt.car(msg), to_pmt(llr)))
    return b2l()


def test_gr_fec_hosting():
    """The FECAPI objects in gr-fec's own deployments: extended encoder/decoder on a stream,
    async decoder on PDUs. gr-fec soft bits are positive for 1."""
    import pmt
    from gnuradio import blocks, fec, gr
    from gnuradio.jscc.pmtio import to_numpy, to_pmt
    name = "6144-1/3"
    code = jscc.ldpc_code(name)
    info = rng(30).integers(0, 2, 2 * code.k, dtype=np.uint8)
    noise = rng(31).normal(0, 0.5, 2 * code.n).astype(np.float32)
    tb = gr.top_block()
    src, sink = blocks.vector_source_b(info.tolist()), blocks.vector_sink_b()
    enc = fec.extended_encoder(encoder_obj_list=jscc.ldpc_encoder_make(name), threading=None, puncpat="11")
    soft = [blocks.char_to_float(), blocks.multiply_const_ff(2.0), blocks.add_const_ff(-1.0),
            blocks.add_ff(), fec.extended_decoder(decoder_obj_list=jscc.ldpc_decoder_make(name), threading=None)]
    tb.connect(src, enc, *soft[:4], soft[4], sink)
    tb.connect(blocks.vector_source_f(noise.tolist()), (soft[3], 1))
    tb.run()
    assert np.array_equal(np.array(sink.data(), np.uint8), info)

    dec = fec.async_decoder(jscc.ldpc_decoder_make(name, frames=2), False, False, 2 * code.k // 8)
    coded = code.encode_batch(info.reshape(2, -1)).ravel()
    x = (2.0 * coded - 1.0 + noise).astype(np.float32)
    out = run_msgs(dec, [pmt.cons(pmt.make_dict(), to_pmt(x))], 1)
    assert np.array_equal(to_numpy(pmt.cdr(out[0])), info)
    assert 1 <= pmt.to_python(pmt.dict_ref(pmt.car(out[0]), pmt.intern("iterations"), pmt.PMT_NIL)) < 50
    with pytest.raises(ValueError, match="frames"):
        jscc.ldpc_decoder_make(name, frames=0)


def test_ebn0_at_interpolates_the_crossing():
    rows = [{"ebn0_db": 1.0, "fer": 1e-1}, {"ebn0_db": 1.5, "fer": 1e-3}, {"ebn0_db": 2.0, "fer": 0.0}]
    assert ldpc_sim.ebn0_at(rows, 1e-2) == pytest.approx(1.25)
    assert ldpc_sim.ebn0_at(rows, 1e-4) == 2.0  # no errors at 2 dB: an upper bound
    assert ldpc_sim.ebn0_at(rows, 0.5) is None
