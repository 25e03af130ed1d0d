"""The SNR-adaptive Deep JSCC (docs/adaptive.md): architecture, export, codec, the SNR through the
evaluation and the blocks, shipped cards. A tiny model is trained (2 steps) and exported here."""
import json
import os
import shutil

import numpy as np
import pmt
import pytest
from conftest import EXAMPLE_IMAGES, MODELS, card, run_app, run_msgs, shipped_models

from gnuradio.jscc import codecs, evaluation, meta as M
from gnuradio.jscc.codecs.base import SYMBOLS, Chunk
from gnuradio.jscc.metrics import psnr

torch = pytest.importorskip("torch", reason="the adaptive tests export a model (requirements-train.txt)")
from gnuradio.jscc.training import adaptive  # noqa: E402
from gnuradio.jscc.training.channels import VariableSNR  # noqa: E402

KN, WIDTHS = 48, (8, 12, 16)  # c = 32: a model that trains and exports in seconds


def adaptive_models():
    return [n for n in shipped_models() if card(n)["codec"] == "deepjscc-adaptive"]


def _random_weights(m, seed=0):
    """Random weights whose outputs are not near-constant (PyTorch's init shrinks every layer's
    signal ~3x): convolutions scaled up 2x, GDN coefficients of either sign (they pass abs())."""
    torch.manual_seed(seed)
    for mod in m.modules():
        if isinstance(mod, torch.nn.Conv2d):
            mod.weight.data *= 2.0
        elif isinstance(mod, adaptive.GDN):
            n = mod.beta_p.numel()
            mod.beta_p.data = (0.5 + torch.rand(n)) * torch.sign(torch.randn(n))
            mod.gamma_p.data = 0.1 * torch.eye(n) + 0.02 * torch.randn(n, n)
    return m.eval()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 2-step adaptive model exported by the apps, with random weights put in before export
    (so that parity and the SNR's effect are tested on a function that is not constant)."""
    tmp = tmp_path_factory.mktemp("adaptive")
    data = tmp / "data"
    data.mkdir()
    for i in range(3):
        shutil.copy(os.path.join(EXAMPLE_IMAGES, "kodim23.png"), data / f"img{i}.png")
    run = tmp / "run"
    r = run_app("train_deepjscc.py", "--arch", "adaptive", "--kn", KN, "--widths", *WIDTHS, "--rayleigh-mix", 0.5,
                "--data", data, "--out", run, "--batch", 2, "--crop", 64, "--steps", 2, "--val-every", 2,
                "--ckpt-every", 2, "--threads", 1, "--bf16", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "val_psnr_19db" in (run / "val.csv").read_text() and os.path.isfile(run / "val.png")
    ck = torch.load(run / "checkpoint.pt", weights_only=False)
    m = adaptive.from_run(ck["args"])
    m.load_state_dict(ck["model"])
    ck["model"] = _random_weights(m).state_dict()
    torch.save(ck, run / "checkpoint.pt")
    r = run_app("export_deepjscc.py", "--run", run, "--name", "tiny-adaptive", "--models", tmp / "models",
                timeout=300)
    assert r.returncode == 0, r.stderr
    return str(tmp / "models" / "tiny-adaptive")


@pytest.fixture(scope="module")
def small(kodim23):
    return np.ascontiguousarray(kodim23[100:228, 200:392])  # 128 x 192: multiples of 16


# --- architecture and training side ----------------------------------------------------------------
def test_architecture_shapes_and_bandwidth():
    assert (adaptive.c_for_kn(6), adaptive.c_for_kn(12)) == (256, 128)
    with pytest.raises(ValueError):
        adaptive.c_for_kn(7)
    m = _random_weights(adaptive.AdaptiveDeepJSCC(adaptive.c_for_kn(KN), VariableSNR(), WIDTHS))
    x = torch.rand(2, 3, 64, 96) * 255
    snr = torch.tensor([[0.0], [20.0]])
    with torch.no_grad():
        z = m.encoder(x, snr)
        assert z.shape == (2, 32, 4, 6)
        # k/n: c/2 * H/16 * W/16 complex symbols for 3 H W source values
        assert (z[0].numel() / 2) / x[0].numel() == pytest.approx(1 / KN)
        assert torch.allclose(z.pow(2).flatten(1).sum(1) / (z[0].numel() / 2), torch.ones(2), atol=1e-4)  # P = 1
        y = m.decoder(z, snr)
        assert y.shape == x.shape and 0 <= y.min() and y.max() <= 255
        # the SNR input matters, and is clipped to the trained range
        far = m.encoder(x, torch.tensor([[-30.0], [45.0]]))
        assert torch.equal(far, z)
        assert (m.encoder(x, torch.tensor([[10.0], [10.0]])) - z).abs().max() > 1e-3


def test_variable_snr_channel():
    torch.manual_seed(0)
    ch = VariableSNR(0, 20)
    tx, rx = ch.draw(4000)
    assert torch.equal(tx, rx) and tx.min() >= 0 and tx.max() <= 20 and abs(tx.mean().item() - 10) < 0.5
    z = torch.ones(4000, 8, 4, 4) / 2 ** 0.5  # unit power per complex symbol
    n = ch(z, rx) - z
    measured = 10 * torch.log10(1 / (2 * n.pow(2).flatten(1).mean(1)))
    assert (measured - rx.view(-1)).abs().median() < 0.6  # each example at its own SNR
    tx, rx = VariableSNR(0, 20, rayleigh_mix=1.0).draw(4000)
    fade = rx - tx  # 10 log10 |h|^2, |h|^2 ~ Exp(1): mean -2.51 dB
    assert abs(fade.mean().item() + 2.51) < 0.3 and (fade < -10).float().mean() > 0.05
    with pytest.raises(ValueError):
        VariableSNR(5, 5)


def test_export_modules_are_exact():
    m = _random_weights(adaptive.AdaptiveDeepJSCC(32, VariableSNR(), WIDTHS))
    enc, dec = adaptive.export_modules(m)
    assert not any(isinstance(x, adaptive.GDN) for x in list(enc.modules()) + list(dec.modules()))
    x = torch.rand(1, 3, 48, 80) * 255
    with torch.no_grad():
        for s in (0.0, 7.5, 20.0):
            snr = torch.full((1, 1), s)
            assert torch.allclose(enc(x, snr), m.encoder(x, snr), atol=1e-5)
            z = m.encoder(x, snr)
            assert (dec(z, snr) - m.decoder(z, snr)).abs().max().item() / 255 < 1e-5


def test_exported_card_and_graphs(tiny):
    import onnx
    c = json.loads(open(os.path.join(tiny, "model.json")).read())
    assert c["codec"] == "deepjscc-adaptive" and c["model_id"] == 63  # adaptive ids count down from 63
    assert c["c"] == 32 and c["kn"] == KN and c["downsampling"] == 16 and c["widths"] == list(WIDTHS)
    assert c["snr_range_db"] == [0.0, 20.0] and c["decoder_snr_range_db"] == [-10.0, 25.0]  # fading mixed in
    assert c["channel"].startswith("awgn (snr ~ U(0, 20) dB); 0.5 of the examples through slow Rayleigh")
    assert c["onnx_parity_max_abs_diff"] <= 1e-3 and c["gmac_768x512"]["total"] > 0
    for g, first in (("encoder", "image"), ("decoder", "latent")):
        m = onnx.load(os.path.join(tiny, g + ".onnx"))
        assert [i.name for i in m.graph.input] == [first, "snr_db"]
        # engine-friendly: no transposed convolution (float32 only in OpenVINO), no full-resolution Div
        assert not {n.op_type for n in m.graph.node} & {"ConvTranspose", "PRelu"}


# --- the codec -----------------------------------------------------------------------------------
def test_codec_round_trip_and_layout(tiny, small):
    codec = codecs.load(tiny, threads=1, engine="onnxruntime")
    assert codec.snr_input and codec.codec == "deepjscc-adaptive" and codec.down == 16
    h, w = small.shape[:2]
    chunks = codec.encode(small, snr_db=10)
    assert len(chunks) == 1 and chunks[0].kind == SYMBOLS
    assert chunks[0].data.size == codec.n_symbols(h, w) == 32 // 2 * (h // 16) * (w // 16)
    assert abs(np.mean(np.abs(chunks[0].data) ** 2) - 1) < 1e-3
    out = codec.decode({0: chunks[0]}, h, w, snr_db=10)
    assert out.image.shape == (h, w, 3) and out.image.dtype == np.uint8
    odd = small[:37, :50]  # padded to 48 x 64, cropped back
    assert codec.encode_symbols(odd, 5).size == codec.n_symbols(37, 50) == 16 * 3 * 4
    assert codec.decode_symbols(codec.encode_symbols(odd, 5), 37, 50, 5).shape == (37, 50, 3)
    damaged = codec.decode({0: Chunk(0, SYMBOLS, chunks[0].data[:10])}, h, w, snr_db=3)
    assert damaged.info["missing"] == chunks[0].data.size - 10


def test_snr_input_changes_encoder_and_decoder(tiny, small):
    codec = codecs.load(tiny, threads=1, engine="onnxruntime")
    x1, x19 = codec.encode_symbols(small, 1), codec.encode_symbols(small, 19)
    assert np.abs(x1 - x19).mean() > 1e-3
    h, w = small.shape[:2]
    a, b = codec.decode_symbols(x1, h, w, 1), codec.decode_symbols(x1, h, w, 19)
    assert np.abs(a.astype(int) - b).mean() > 0.5
    # +-inf: the edges of the trained range (the graphs clip), exactly
    assert np.array_equal(codec.encode_symbols(small, float("inf")), codec.encode_symbols(small, 20))
    assert np.array_equal(codec.encode_symbols(small, -np.inf), codec.encode_symbols(small, 0))


def test_missing_or_nan_snr_is_a_clear_error(tiny, small):
    codec = codecs.load(tiny, threads=1, engine="onnxruntime")
    with pytest.raises(ValueError, match="needs the SNR"):
        codec.encode(small)
    (c,) = codec.encode(small, snr_db=4)
    with pytest.raises(ValueError, match="needs the SNR"):
        codec.decode({0: c}, *small.shape[:2])
    with pytest.raises(ValueError, match="NaN"):
        codec.encode(small, snr_db=float("nan"))
    with pytest.raises(ValueError, match="not a number"):
        codec.decode({0: c}, *small.shape[:2], snr_db="high")
    # the paper's codec takes the keyword and ignores it
    paper = codecs.load("deepjscc-kn6-awgn-10db", threads=1)
    assert np.array_equal(paper.encode_symbols(small, 3), paper.encode_symbols(small))


def test_engines_run_the_two_input_graphs(tiny, small):
    from gnuradio.jscc import engines
    ref = codecs.load(tiny, threads=1, engine="onnxruntime")
    for name in [n for n in ("openvino", "openvino-bf16") if n in engines.available()]:
        other = codecs.load(tiny, threads=1, engine=name)
        x = other.encode_symbols(small, 8)
        assert np.abs(x - ref.encode_symbols(small, 8)).max() < (1e-3 if name == "openvino" else 0.1)
        y = other.decode_symbols(x, *small.shape[:2], 8)
        assert psnr(ref.decode_symbols(x, *small.shape[:2], 8), y) > (45 if name == "openvino" else 30)


# --- the SNR through the evaluation and the blocks ------------------------------------------------------
class _Spy:
    """A codec wrapper recording the SNR each call was given."""

    def __init__(self, codec):
        self.codec, self.calls = codec, []

    def __getattr__(self, k):
        return getattr(self.codec, k)

    def encode_symbols(self, img, snr_db=None):
        self.calls.append(("enc", snr_db))
        return self.codec.encode_symbols(img, snr_db)

    def decode_symbols(self, y, h, w, snr_db=None):
        self.calls.append(("dec", snr_db))
        return self.codec.decode_symbols(y, h, w, snr_db)


def test_evaluation_passes_the_true_snr(tiny, small):
    from gnuradio.jscc.channels import sim
    spy = _Spy(codecs.load(tiny, threads=1, engine="onnxruntime"))
    tx = evaluation.scheme(spy, "awgn")
    tx.transmit("a.png", small, 7.0, np.random.default_rng(0))
    tx.transmit("a.png", small, 7.0, np.random.default_rng(1))
    assert spy.calls == [("enc", 7.0), ("dec", 7.0), ("dec", 7.0)]  # encoded once per image and SNR
    spy.calls.clear()
    tx = evaluation.scheme(spy, "rayleigh")
    y, _ = tx.transmit("a.png", small, 10.0, np.random.default_rng(5))
    _, h = sim.rayleigh(np.zeros(4, np.complex64), 10.0, np.random.default_rng(5))  # the same draw
    assert spy.calls[0] == ("enc", 10.0)  # the transmitter: the average SNR
    assert spy.calls[1][1] == pytest.approx(10.0 + 20 * np.log10(abs(h)), abs=1e-4)  # the receiver: |h|^2 SNR


@pytest.mark.parametrize("channel", ["awgn", "rayleigh"])
def test_evaluate_command(tiny, tmp_path, channel):
    out = tmp_path / "e.json"
    r = run_app("evaluate.py", "--model", tiny, "--channel", channel, "--snr", 1, 19, "--images", EXAMPLE_IMAGES,
                "--realizations", 2, "--no-ssim", "--json", out, "--engine", "onnxruntime", timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["codec"] == "deepjscc-adaptive" and [x["snr_db"] for x in res["results"]] == [1.0, 19.0]


def test_pdu_blocks_use_the_snr(tiny, small):
    from gnuradio.jscc.blocks.codec_blocks import codec_decode_pdu, codec_encode_pdu
    codec = codecs.load(tiny, threads=1, engine="onnxruntime")
    h, w = small.shape[:2]
    img_pdu = M.image_pdu(small, M.with_entries(pmt.make_dict(), **{M.IMAGE_ID: 1}))
    enc = codec_encode_pdu(tiny, engine="onnxruntime", snr_db=4.0)
    (msg,) = run_msgs(enc, [img_pdu], 1)
    _, sym = M.split_pdu(msg)
    assert np.array_equal(sym, codec.encode_symbols(small, 4.0))
    # the encoder's SNR changes while running: set_snr_db, or a message on "snr"
    enc.set_snr_db(15)
    (msg,) = run_msgs(enc, [img_pdu], 1)
    assert np.array_equal(M.split_pdu(msg)[1], codec.encode_symbols(small, 15))
    run_msgs(enc, [pmt.from_double(2.5)], 0, in_port="snr")
    assert enc.snr_db == 2.5
    (msg,) = run_msgs(enc, [img_pdu], 1)
    assert np.array_equal(M.split_pdu(msg)[1], codec.encode_symbols(small, 2.5))
    # the CSI Tap's message (the Codec OFDM Receiver's "csi") is accepted as it is: a closed CSI loop
    csi = M.with_entries(pmt.make_dict(), **{M.SNR_DB: 7.5, M.IMAGE_ID: 3, M.SEQ: 9})
    run_msgs(enc, [csi], 0, in_port="snr")
    assert enc.snr_db == 7.5
    run_msgs(enc, [pmt.cons(M.with_entries(pmt.make_dict(), **{M.SNR_DB: 6.0}), pmt.init_u8vector(0, []))], 0,
             in_port="snr")  # or a PDU whose metadata has snr_db
    assert enc.snr_db == 6.0
    run_msgs(enc, [M.with_entries(pmt.make_dict(), **{M.IMAGE_ID: 3})], 0, in_port="snr")  # no snr_db: refused
    assert enc.snr_db == 6.0 and enc.stats()["dropped"] == 1
    enc.set_snr_db(2.5)
    # the decoder decodes for the chunk's snr_db (the receiver's estimate)
    meta = M.with_entries(pmt.car(msg), **{M.SNR_DB: 3.0})
    dec = codec_decode_pdu(tiny, engine="onnxruntime")
    (out,) = run_msgs(dec, [pmt.cons(meta, pmt.cdr(msg))], 1)
    _, d, img = M.pdu_image(out)
    assert np.array_equal(img, codec.decode_symbols(sym_of(msg), h, w, 3.0)) and d[M.SNR_DB] == 3.0
    # no SNR anywhere: counted and dropped, never a guess; the block's fallback when set
    # (another image id: the block never re-opens an image it has decoded)
    bare = pmt.cons(M.with_entries(pmt.car(msg), **{M.IMAGE_ID: 2}), pmt.cdr(msg))
    assert run_msgs(dec, [bare], 1, timeout=1) == [] and dec.stats()["no_snr"] == 1
    (out,) = run_msgs(codec_decode_pdu(tiny, engine="onnxruntime", snr_db=12.0), [bare], 1)
    assert np.array_equal(M.pdu_image(out)[2], codec.decode_symbols(sym_of(msg), h, w, 12.0))
    silent = codec_encode_pdu(tiny, engine="onnxruntime")
    assert run_msgs(silent, [img_pdu], 1, timeout=1) == [] and silent.stats()["no_snr"] == 1 and silent.errors() == 1
    with pytest.raises(ValueError, match="NaN"):
        silent.set_snr_db(float("nan"))


def sym_of(msg):
    return M.split_pdu(msg)[1]


def test_stream_flowgraph_encoder_snr_awgn_tag_decoder(tiny, small):
    """Encoder block with snr_db -> AWGN channel block (tags snr_db) -> decoder block with no
    fallback: the image comes out decoded for the tagged SNR."""
    import time
    from gnuradio import blocks, gr
    from gnuradio.jscc import awgn_cc
    from gnuradio.jscc.blocks.codec_blocks import codec_decoder, codec_encoder
    codec = codecs.load(tiny, threads=1, engine="onnxruntime")
    tb = gr.top_block()
    enc = codec_encoder(tiny, engine="onnxruntime", snr_db=60.0)
    chan = awgn_cc(60.0, 1.0, 1)  # noise 1e-3 of the signal: the decode is the noiseless one at 60 dB
    dec = codec_decoder(tiny, engine="onnxruntime")
    dbg = blocks.message_debug()
    tb.connect(enc, chan, dec)
    tb.msg_connect(dec, "out", dbg, "store")
    tb.start()
    try:
        enc.encode._post(pmt.intern("in"), M.image_pdu(small, M.with_entries(pmt.make_dict(), **{M.IMAGE_ID: 4})))
        t0 = time.monotonic()
        while dbg.num_messages() < 1 and time.monotonic() - t0 < 20:
            time.sleep(0.02)
    finally:
        tb.stop()
        tb.wait()
    assert dbg.num_messages() == 1
    _, d, img = M.pdu_image(dbg.get_message(0))
    assert d[M.SNR_DB] == 60.0 and dec.stats()["no_snr"] == 0
    h, w = small.shape[:2]
    x = codec.encode_symbols(small, 60.0)
    want, other = codec.decode_symbols(x, h, w, 60.0), codec.decode_symbols(x, h, w, 0.0)
    assert np.abs(img.astype(int) - want).mean() < 0.1 < np.abs(img.astype(int) - other).mean()


def test_ofdm_receiver_estimate_reaches_the_decoder(tiny, small, tmp_path):
    """Through the OFDM PHY the decoder takes the receiver's per-frame SNR estimate (snr_db tags,
    averaged over the image's frames); the transmitter its snr_db parameter (here: the channel's)."""
    from PIL import Image
    from gnuradio.jscc.link.loopback import codec_ofdm_loopback
    path = tmp_path / "small.png"
    Image.fromarray(small).save(path)
    tb = codec_ofdm_loopback([str(path)], tiny, "awgn", 12.0, seed=2, compute_ssim=False, engine="onnxruntime")
    assert tb.tx.encode.snr_db == 12.0
    results, _ = tb.run_images(timeout=60)
    assert len(results) == 1 and tb.rx.stats()["decoder"]["no_snr"] == 0
    assert abs(results[0][M.SNR_DB] - 12.0) < 1.5  # the estimate, not the true value


# --- shipped adaptive cards (the lead's trained models) ---------------------------------------------------
REQUIRED = ["name", "codec", "model_id", "architecture", "c", "kn", "k_over_n", "downsampling", "widths", "channel",
            "snr_range_db", "decoder_snr_range_db", "snr_reference_db", "training_data", "steps", "wall_time_min",
            "train_command", "export_command", "precision", "onnx_parity_max_abs_diff", "gmac_768x512", "kodak"]


def shipped_adaptive():
    """The shipped deepjscc-adaptive models, or one skipped case that says why there are none."""
    return adaptive_models() or [pytest.param(None, marks=pytest.mark.skip(
        reason="no deepjscc-adaptive model is shipped in models/ (not yet trained: the training and export "
               "commands are in docs/adaptive.md, 'Full training')"))]


@pytest.mark.parametrize("name", shipped_adaptive())
def test_shipped_adaptive_card(name):
    c = card(name)
    assert [k for k in REQUIRED if k not in c] == []
    assert c["name"] == name and f"kn{c['kn']}" in name and c["c"] == adaptive.c_for_kn(c["kn"])
    assert 1 <= c["model_id"] <= 63 and c["onnx_parity_max_abs_diff"] <= 1e-3
    assert c["channel"].startswith("awgn (snr ~ U(")
    res = c["kodak"]["awgn"]
    assert res["n_images"] == 24 and str(float(c["snr_reference_db"])) in res["results"]


@pytest.mark.parametrize("name", shipped_adaptive())
def test_shipped_adaptive_reproduces_card(name, tmp_path):
    c = card(name)
    entry = c["kodak"]["awgn"]
    out = tmp_path / "e.json"
    r = run_app("evaluate.py", "--model", os.path.join(MODELS, name), "--channel", "awgn", "--snr",
                c["snr_reference_db"], "--images", EXAMPLE_IMAGES, "--realizations", entry["per_image_realizations"],
                "--seed", entry["seed"], "--no-ssim", "--json", out)
    assert r.returncode == 0, r.stderr
    want = entry["per_image_psnr_at_snr_train"]
    for row in json.loads(out.read_text())["per_image"]:
        assert abs(row["psnr_db"] - want[row["image"]]) < 0.3, (row, want[row["image"]])
