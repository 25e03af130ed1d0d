"""Progressive residual-VQ codec (codecs/rvq.py, training/rvq.py) on a tiny model trained for a
few steps and exported here: training lowers the loss, the exported graphs match PyTorch, every
prefix and subset of stages decodes, any bytes decode (bit flips only change codewords), the
bit-error evaluation, the registry and the slot simulator's scheme."""
import json
import os

import numpy as np
import pytest
from conftest import run_app

from gnuradio.jscc import codecs, evaluation
from gnuradio.jscc.codecs.base import BYTES, Chunk
from gnuradio.jscc.metrics import ms_ssim, psnr
from gnuradio.jscc.models import ModelError

torch = pytest.importorskip("torch", reason="the tiny model is trained and exported here (needs torch)")
pytest.importorskip("vector_quantize_pytorch", reason="training uses vector-quantize-pytorch (requirements-train.txt)")
from gnuradio.jscc.training import rvq  # noqa: E402
from gnuradio.jscc.training.rvq_export import export_model  # noqa: E402

N, DIM, K, S = 16, 8, 64, 3


def _crops(img, rng, n=4, side=64):
    ys, xs = rng.integers(0, img.shape[0] - side, n), rng.integers(0, img.shape[1] - side, n)
    return torch.from_numpy(np.stack([img[y:y + side, x:x + side] for y, x in zip(ys, xs)])
                            .transpose(0, 3, 1, 2).copy()).float()


@pytest.fixture(scope="module")
def trained(kodim23):
    """(torch model, losses): 150 quick steps (~3 s) with bit flips on half the examples."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model = rvq.ProgressiveRVQ(N, DIM, K, S)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(150):
        loss, _, _ = rvq.loss_fn(model, _crops(kodim23, rng, 8), rvq.training_ber(8, rng))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    torch.set_num_threads(threads)
    return model.eval(), losses


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, trained, kodim23):
    folder = str(tmp_path_factory.mktemp("rvq") / "tiny")
    card = export_model(trained[0], folder, {"name": "tiny", "model_id": 89}, check_image=kodim23[:128, :192])
    return folder, card


@pytest.fixture(scope="module")
def codec(tiny):
    return codecs.load(tiny[0], threads=1, engine="onnxruntime")


@pytest.fixture(scope="module")
def img(kodim23):
    return np.ascontiguousarray(kodim23[100:228, 200:392])  # 128 x 192


def _all(chunks):
    return {c.index: c for c in chunks}


def test_training_lowers_the_loss(trained):
    _, losses = trained
    assert np.mean(losses[-20:]) < 0.7 * np.mean(losses[:20]), losses


def test_adversarial_term_trains_both_sides(kodim23):
    torch.manual_seed(0)
    model, disc = rvq.ProgressiveRVQ(8, 4, 16, 2, kmeans_init=False), rvq.PatchDiscriminator(8)
    x = _crops(kodim23, np.random.default_rng(0), 2)
    plain, _, none = rvq.loss_fn(model, x)
    loss, _, d_loss = rvq.loss_fn(model, x, disc=disc, gan_weight=0.5)
    assert none is None and d_loss.item() > 0
    loss.backward()
    assert model.decoder.net[-1].weight.grad.abs().sum() > 0
    disc.zero_grad()
    d_loss.backward()
    assert all(p.grad is not None for p in disc.parameters())


def test_flip_bits_rate_and_dropped_stages():
    g = torch.Generator().manual_seed(0)
    idx = torch.zeros(2000, 4, dtype=torch.long)
    idx[:, 3] = -1  # a dropped stage stays dropped
    out = rvq.flip_bits(idx, 0.1, 10, g)
    assert (out[:, 3] == -1).all() and out[:, :3].max() < 1024
    rate = np.unpackbits(out[:, :3].numpy().astype(">u2").view(np.uint8)).mean() * 16 / 10
    assert 0.09 < rate < 0.11
    assert (rvq.flip_bits(idx, 0.0, 10, g) == idx).all()


def test_hamming_order_is_a_permutation_that_brings_flips_closer():
    rng = np.random.default_rng(0)
    cb = rng.standard_normal((256, 4)) * [4, 2, 1, 0.5]  # a spread like a trained first stage
    perm = rvq.hamming_order(cb)
    assert sorted(perm.tolist()) == list(range(256))
    shuffled = cb[rng.permutation(256)]
    assert rvq.flip_distortion(cb[perm]) < 0.6 * rvq.flip_distortion(shuffled)
    with pytest.raises(ValueError, match="power of two"):
        rvq.hamming_order(cb[:100])


def test_reorder_keeps_what_the_model_computes(trained, kodim23):
    model = trained[0]
    x = _crops(kodim23, np.random.default_rng(1), 2)
    with torch.no_grad():
        q0, _, _ = model.quantise(model.encoder(x))
        model.reorder()
        q1, idx, _ = model.quantise(model.encoder(x))
        assert torch.allclose(q0, q1, atol=1e-5)
        assert torch.allclose(model.from_indices(idx), q1, atol=1e-5)


def test_export_parity_and_card(tiny, codec):
    folder, card = tiny
    assert card["onnx_parity_max_abs_diff"] < 1e-3 and card["index_agreement"] > 0.99
    assert card["codec"] == "progressive-vq" and card["stages"] == S and card["codebook_size"] == K
    assert card["bpp_per_stage"] == pytest.approx(6 / 256, abs=1e-5)
    ia = card["index_assignment"]
    assert len(ia["flip_distortion_per_stage"]) == S
    cb = np.load(os.path.join(folder, "codebooks.npy"))
    assert cb.shape == (S, K, DIM) and np.allclose(cb, codec.codebooks)
    assert codec.max_chunks(128, 192) == S and codec.model_id == 89


def test_chunks_are_fixed_length_and_deterministic(codec, img):
    a, b = codec.encode(img), codec.encode(img)
    assert len(a) == S and all(c.kind == BYTES for c in a)
    tokens = (128 // 16) * (192 // 16)
    assert all(c.data.size == -(-tokens * 6 // 8) == codec.chunk_bytes(128, 192) for c in a)
    assert all(np.array_equal(x.data, y.data) for x, y in zip(a, b))
    assert [c.meta["stage"] for c in a] == list(range(S)) and a[-1].meta["cum_bytes"] == S * a[0].data.size
    assert codec.encode(img, budget=2 * a[0].data.size)[-1].index == 1 and codec.encode(img, budget=1) == []


def test_pack_unpack_round_trip(codec):
    idx = np.random.default_rng(0).integers(0, K, 97)
    got, known = codec.unpack(codec.pack(idx), 97)
    assert known.all() and np.array_equal(got, idx)
    got, known = codec.unpack(codec.pack(idx)[:10], 97)  # short: the first 13 tokens (80 bits / 6)
    assert known.sum() == 13 and np.array_equal(got[:13], idx[:13])


def test_every_prefix_decodes_and_matches_torch(codec, trained, img):
    chunks = codec.encode(img)
    model = trained[0]
    x = torch.from_numpy(img.transpose(2, 0, 1)[None].astype(np.float32))
    errs = []
    for s in range(1, S + 1):
        out = codec.decode(_all(chunks[:s]), *img.shape[:2])
        assert out.image.shape == img.shape and not out.info["failed"] and out.info["prefix"] == s
        with torch.no_grad():
            _, idx, _ = model.quantise(model.encoder(x))
            ref = model.decoder(model.from_indices(idx[..., :s])).clamp(0, 255).round()[0].numpy().transpose(1, 2, 0)
        assert np.abs(out.image.astype(float) - ref).max() <= 1  # float rounding of the graphs only
        z = codec.latent(img)
        zh, _ = codec.decode_latent(_all(chunks[:s]), *img.shape[:2])
        errs.append(float(((zh - z) ** 2).mean()))
    assert errs == sorted(errs, reverse=True) and errs[-1] < errs[0], errs  # each stage refines the latent


def test_any_subset_decodes_nothing_is_the_failure_image(codec, img):
    chunks = codec.encode(img)
    out = codec.decode({0: None, 2: chunks[2]}, *img.shape[:2])
    assert out.info["groups_used"] == [2] and out.info["missing"] == [0, 1] and out.info["prefix"] == 0
    out = codec.decode({}, *img.shape[:2])
    assert out.info["failed"] and (out.image == 128).all()
    out = codec.decode({0: chunks[0], 7: chunks[1], "x": chunks[1]}, *img.shape[:2])
    assert out.info["extra"] == [7, "x"] and out.info["groups_used"] == [0]


def test_random_bytes_never_crash_decode(codec, img):
    rng = np.random.default_rng(0)
    h, w = img.shape[:2]
    n = codec.chunk_bytes(h, w)
    for size in (0, 1, n - 1, n, n + 5, 3 * n):
        chunks = {s: Chunk(s, BYTES, rng.integers(0, 256, size, dtype=np.uint8)) for s in range(S)}
        out = codec.decode(chunks, h, w)
        assert out.image.shape == img.shape and out.image.dtype == np.uint8 and not out.info["failed"]
        if size < n:
            assert set(out.info["truncated"]) == set(range(S))


def test_bit_flips_degrade_gracefully(codec, img):
    chunks = codec.encode(img)
    rng = np.random.default_rng(0)
    clean = psnr(img, codec.decode(_all(chunks), *img.shape[:2]).image)
    for ber in (1e-3, 3e-2, 0.5):
        got = {c.index: Chunk(c.index, BYTES, evaluation.flip_bits(c.data, ber, rng)) for c in chunks}
        out = codec.decode(got, *img.shape[:2])
        assert not out.info["failed"] and out.image.shape == img.shape
    assert psnr(img, out.image) < clean  # BER 0.5: noise, not the image


def test_bit_error_evaluation_keys(codec, tmp_path, img):
    from PIL import Image
    Image.fromarray(img).save(tmp_path / "a.png")
    paths = [str(tmp_path / "a.png")]
    res, rows, skipped = evaluation.bit_errors(codec, paths, None, [0, 1e-2, 0.2], realizations=2, seed=0)
    assert not skipped and len(res) == 3 * S and len(rows) == 3 * S
    for r in res:
        assert {"stages", "ber", "bpp", "psnr_db", "ssim", "ms_ssim"} <= set(r)
        assert r["decode_failures"] == 0 and r["transmissions"] == 2
    by = {(r["stages"], r["ber"]): r for r in res}
    assert by[(S, 0)]["bit_flips"] == 0 and by[(S, 0.2)]["bit_flips"] > 0
    assert by[(S, 0.2)]["psnr_db"] < by[(S, 0)]["psnr_db"] and by[(S, 0.2)]["ms_ssim"] < by[(S, 0)]["ms_ssim"]
    assert by[(1, 0)]["bpp"] < by[(S, 0)]["bpp"]
    again, _, _ = evaluation.bit_errors(codec, paths, [S], [1e-2], realizations=2, seed=0)
    assert again[0] == by[(S, 1e-2)]  # seeded
    with pytest.raises(ValueError, match="bit error rate"):
        evaluation.bit_errors(codec, paths, None, [0.7])


def test_ms_ssim():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (96, 128, 3), dtype=np.uint8)
    assert ms_ssim(a, a) == pytest.approx(1.0)
    noisy = lambda s: np.clip(a + rng.normal(0, s, a.shape), 0, 255).astype(np.uint8)  # noqa: E731
    assert 1 > ms_ssim(a, noisy(5)) > ms_ssim(a, noisy(40)) > 0
    with pytest.raises(ValueError, match="shape"):
        ms_ssim(a, a[:10])


def test_registry_and_unique_model_id(tiny, tmp_path):
    assert "progressive-vq" in codecs.codec_names()
    from gnuradio.jscc.codecs.rvq import ProgressiveVQ
    assert codecs.codec_class(tiny[0]) is ProgressiveVQ
    cards = list(codecs.registry.cards())
    ids = [c["model_id"] for _, c in cards]
    assert len(ids) == len(set(ids))
    # the export command's default id is in the progressive range and free, or the shipped
    # progressive-vq's own (a re-export keeps it)
    ids = [c["model_id"] for _, c in cards if c.get("codec") != "progressive-vq"]
    import importlib.util
    spec = importlib.util.spec_from_file_location("export_rvq", os.path.join(os.path.dirname(__file__), "..", "apps",
                                                                             "export_rvq.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.MODEL_ID >= 80 and mod.MODEL_ID not in ids


def test_bad_model_folders(tiny, tmp_path):
    import shutil
    bad = tmp_path / "bad"
    shutil.copytree(tiny[0], bad)
    card = json.loads((bad / "model.json").read_text())
    np.save(bad / "codebooks.npy", np.zeros((S, K + 1, DIM), np.float32))
    with pytest.raises(ModelError, match="codebooks.npy holds"):
        codecs.load(str(bad))
    (bad / "codebooks.npy").unlink()
    with pytest.raises(ModelError, match="does not exist"):
        codecs.load(str(bad))
    shutil.copy(os.path.join(tiny[0], "codebooks.npy"), bad)
    (bad / "model.json").write_text(json.dumps(dict(card, codebook_size=48)))
    with pytest.raises(ModelError, match="power of two"):
        codecs.load(str(bad))
    (bad / "model.json").write_text(json.dumps(dict(card, latent_dim=DIM + 1)))
    with pytest.raises(ModelError):
        codecs.load(str(bad))


def test_slot_simulator_scheme(codec, tmp_path, img):
    from PIL import Image
    from gnuradio.jscc.link import slots
    Image.fromarray(img).save(tmp_path / "a.png")
    paths = [str(tmp_path / "a.png")]
    n = codec.chunk_bytes(*img.shape[:2])
    # a trace: S stages of n bytes fit in one slot each, all arrive
    states = slots.States.trace(np.full(20, 8.0 * (n + 64)))
    sch = slots.scheme_for(codec, uncoded=False)
    assert type(sch) is slots.Progressive
    recs, summary = slots.simulate(sch, paths, states, max_images=2)
    assert summary["images_completed"] == 2 and all(r["chunks_ok"] == S for r in recs)
    # uncoded over fading: every stage sent, bit errors instead of lost chunks, never a failure
    uncoded = slots.scheme_for(codec)  # the default for a codec that decodes any bytes
    assert isinstance(uncoded, slots.Uncoded)
    rng = np.random.default_rng(0)
    states = slots.States.fading(3.0, 40, 10, 0.01, 4000, rng)
    recs, summary = slots.simulate(uncoded, paths, states, rng=rng, max_images=3)
    assert summary["images_completed"] >= 3 and all(r["delivered"] and r["psnr_db"] > 5 for r in recs)
    assert any(r["bit_errors"] > 0 for r in recs) and all(0 < r["ms_ssim"] <= 1 for r in recs)
    assert summary["mean_ms_ssim"] == pytest.approx(np.mean([r["ms_ssim"] for r in recs]))
    hi = slots.simulate(uncoded, paths, slots.States.fading(30.0, 40, 10, 0.01, 4000, rng), rng=rng, max_images=3)[1]
    assert hi["mean_psnr_db"] > summary["mean_psnr_db"]


def test_train_export_evaluate_commands(tmp_path, kodim23):
    from PIL import Image
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        Image.fromarray(kodim23[:, 256 * i:256 * i + 256]).save(data / f"img{i}.png")
    run = tmp_path / "run"
    args = ["--data", data, "--out", run, "--channels", "8", "--latent-dim", "4", "--codebook", "16", "--stages", "2",
            "--batch", "2", "--crop", "64", "--val-every", "2", "--ckpt-every", "2", "--threads", "1",
            "--gan-weight", "0.1", "--gan-start", "1"]
    r = run_app("train_rvq.py", *args, "--steps", "2", timeout=300)
    assert r.returncode == 0, r.stderr
    r = run_app("train_rvq.py", *args, "--steps", "4", timeout=300)
    assert r.returncode == 0 and "resumed at step 2" in r.stdout, r.stdout + r.stderr
    log = [json.loads(line) for line in (run / "train.log").read_text().splitlines()]
    assert [x["step"] for x in log] == [2, 4] and len(log[-1]["val_prefixes"]) == 2 and (run / "val.png").is_file()
    assert torch.load(run / "discriminator.pt", weights_only=False)["step"] == 4
    assert {"val_psnr_ber0.001", "val_psnr_ber0.01", "stage1_perplexity"} <= set(log[-1])
    r = run_app("export_rvq.py", "--run", run, "--name", "t", "--models", tmp_path / "models", timeout=300)
    assert r.returncode == 0, r.stderr
    c = json.loads((tmp_path / "models" / "t" / "model.json").read_text())
    assert c["steps"] == 4 and c["stages"] == 2 and c["model_id"] == 88 and c["train_command"].startswith("apps/train_rvq.py")
    out = tmp_path / "ber.json"
    r = run_app("evaluate.py", "--model", tmp_path / "models" / "t", "--stages", "all", "--ber", "0", "1e-2",
                "--images", data, "--realizations", "1", "--json", out, "--update-card", timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())["results"]
    assert [(x["stages"], x["ber"]) for x in res] == [(1, 0), (1, 0.01), (2, 0), (2, 0.01)]
    assert all(x["ms_ssim"] is not None for x in res)
    card = json.loads((tmp_path / "models" / "t" / "model.json").read_text())
    assert card["kodak_bit_errors"]["results"] == res and card["kodak_bit_errors"]["fec"] == "none"
    # the shipped weights.pt warm-starts a new run (run folders do not outlive a checkout)
    r = run_app("train_rvq.py", *args, "--steps", "2", "--out", tmp_path / "run2", "--init-from",
                tmp_path / "models" / "t" / "weights.pt", timeout=300)
    assert r.returncode == 0 and "warm start from" in r.stdout and "fresh: []" in r.stdout, r.stdout + r.stderr
    r = run_app("evaluate.py", "--model", tmp_path / "models" / "t", "--ber", "0", "--fec", "ldpc", "--images", data)
    assert r.returncode != 0 and "--fec none" in r.stderr


def test_generic_blocks_carry_it_coded_and_with_flipped_bytes(tiny, codec, img):
    """Codec Encode/Decode (PDU) take the model as any other: all stages through chunk FEC, and
    stage PDUs with flipped bits straight into the decoder (an uncoded link) decode as the model
    level does."""
    import pmt
    from conftest import run_msgs
    from gnuradio import jscc
    from gnuradio.jscc import meta as M
    from gnuradio.jscc.pmtio import to_numpy, to_pmt
    msg = M.image_pdu(img, M.with_entries(pmt.make_dict(), image_id=5))
    enc = jscc.codec_encode_pdu(tiny[0], 0, "qpsk-1/2", threads=1, engine="onnxruntime")
    fec_tx, fec_rx = jscc.chunk_fec_encoder("qpsk-1/2"), jscc.chunk_fec_decoder(1)
    dec = jscc.codec_decode_pdu(tiny[0], threads=1, engine="onnxruntime")
    sym = run_msgs([enc, fec_tx], [msg], S)
    assert len(sym) == S
    got = run_msgs([fec_rx, dec], [pmt.cons(M.with_entries(pmt.car(p), snr_db=30.0), pmt.cdr(p)) for p in sym], 1)
    _, d, out = M.pdu_image(got[0])
    assert d["chunks_received"] == S and not d["decode_failed"]
    assert np.array_equal(out, codec.decode(_all(codec.encode(img)), *img.shape[:2]).image)
    chunks = run_msgs(jscc.codec_encode_pdu(tiny[0], threads=1, engine="onnxruntime"), [msg], S)
    rng = np.random.default_rng(0)
    flipped = [pmt.cons(pmt.car(p), to_pmt(evaluation.flip_bits(to_numpy(pmt.cdr(p)), 1e-2, rng))) for p in chunks]
    got = run_msgs(jscc.codec_decode_pdu(tiny[0], threads=1, engine="onnxruntime"), flipped, 1)
    _, d, out = M.pdu_image(got[0])
    want = codec.decode({i: Chunk(i, BYTES, to_numpy(pmt.cdr(p))) for i, p in enumerate(flipped)}, *img.shape[:2])
    assert not d["decode_failed"] and np.array_equal(out, want.image)


def test_progressive_eval_names_uncoded_and_coded(tiny, tmp_path, img):
    from PIL import Image
    (tmp_path / "im").mkdir()
    Image.fromarray(img).save(tmp_path / "im" / "a.png")
    out = tmp_path / "f.json"
    r = run_app("progressive_eval.py", "--channel", "rayleigh", "--snr", "5", "--slots", "30", "--slot-symbols", "4000",
                "--models", f"{tiny[0]},{tiny[0]}-ldpc", "--images", tmp_path / "im", "--json", out,
                "--plot", tmp_path / "f.png", timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())["schemes"]
    assert set(res) == {tiny[0], f"{tiny[0]}-ldpc"}
    un, coded = res[tiny[0]][0], res[f"{tiny[0]}-ldpc"][0]
    assert un["images_completed"] > 0 and un["mean_ms_ssim"] is not None and "mean_ms_ssim" in coded
    assert (tmp_path / "f.png").is_file() and "MS-SSIM" in r.stdout


@pytest.mark.parametrize("bps", [1, 2, 4, 6])
def test_qam_hard_decisions_and_uncoded_ber(bps):
    """The uncoded link's pieces: hard decisions invert the Gray mapping, and the measured BER at
    an SNR matches the formula the scheme picks its modulation with."""
    from gnuradio.jscc.coding import qam
    rng = np.random.default_rng(bps)
    bits = rng.integers(0, 2, 6 * 40000).astype(np.uint8)
    x = qam.qam_map(bits, bps)
    assert np.array_equal(qam.qam_hard(x, bps), bits)
    snr_db = {1: 5.0, 2: 8.0, 4: 14.0, 6: 20.0}[bps]
    s2 = 10 ** (-snr_db / 10)
    y = x + np.sqrt(s2 / 2) * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size))
    measured = float((qam.qam_hard(y, bps) != bits).mean())
    assert measured == pytest.approx(float(qam.uncoded_ber(snr_db, bps)), rel=0.15)


def test_codec_decoder_keeps_damaged_chunks_for_this_codec(tiny, codec, img):
    """Over a noisy uncoded link (qpsk-uncoded: CRC, no LDPC) the Chunk FEC Decoder of a
    progressive-vq receiver passes chunks whose CRC failed on with their bit errors (chunk_damaged),
    (QPSK at 6 dB: BER ~2e-2) and the image decodes from them; for other codecs such chunks stay lost."""
    import pmt
    from conftest import run_msgs
    from gnuradio import jscc
    from gnuradio.jscc import meta as M
    from gnuradio.jscc.pmtio import to_numpy, to_pmt
    msg = M.image_pdu(img, M.with_entries(pmt.make_dict(), image_id=1))
    sym = run_msgs([jscc.codec_encode_pdu(tiny[0], 0, "qpsk-uncoded", threads=1, engine="onnxruntime"),
                    jscc.chunk_fec_encoder()], [msg], S)  # the chunks' own mcs entry wins
    assert all(M.to_dict(pmt.car(p))["mcs"] == "qpsk-uncoded" for p in sym)
    rng = np.random.default_rng(0)
    noisy = []
    for p in sym:
        x = to_numpy(pmt.cdr(p))
        y = (x + 0.35 * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size))).astype(np.complex64)
        noisy.append(pmt.cons(M.with_entries(pmt.car(p), snr_db=float(10 * np.log10(1 / 0.245))), to_pmt(y)))
    kept = jscc.chunk_fec_decoder(1, keep_damaged=True)
    out = run_msgs(kept, noisy, S)
    assert kept.stats()["damaged"] == S, kept.stats()
    dec = jscc.codec_decode_pdu(tiny[0], threads=1, engine="onnxruntime")
    got = run_msgs(dec, out, 1)
    _, d, image = M.pdu_image(got[0])
    assert d["chunks_damaged"] == S and d["chunks_failed"] == 0 and not d["decode_failed"]
    assert psnr(img, image) > psnr(img, codec.decode({}, *img.shape[:2]).image)
    dropped = jscc.chunk_fec_decoder(1)
    assert all(M.to_dict(pmt.car(p)).get("chunk_failed") for p in run_msgs(dropped, noisy, S))
    assert jscc.codec_decoder(tiny[0], threads=1, engine="onnxruntime").fec.keep_damaged
    assert not jscc.codec_decoder("jpeg").fec.keep_damaged


# --- the shipped model, when there is one ---------------------------------------------------------
def _shipped():
    from conftest import card, shipped_models
    return [n for n in shipped_models() if card(n)["codec"] == "progressive-vq"]


@pytest.mark.parametrize("name", _shipped())
def test_shipped_model(name, kodim23):
    from conftest import MODELS, card
    path = os.path.join(MODELS, name)
    c = codecs.load(path, threads=1)
    chunks = c.encode(kodim23)
    q = [psnr(kodim23, c.decode(_all(chunks[:s]), *kodim23.shape[:2]).image) for s in range(1, len(chunks) + 1)]
    # every stage adds (a little slack for the last stages of a short training) and all beat the first
    assert all(b >= a - 0.05 for a, b in zip(q, q[1:])) and q[-1] > q[0], q
    cd = card(name)
    assert cd["kodak_rd"]["n_images"] == 24 and len(cd["kodak_rd"]["results"]) == cd["stages"]
    bers = {(r["stages"], r["ber"]) for r in cd["kodak_bit_errors"]["results"]}
    assert {(cd["stages"], 0.0), (cd["stages"], 1e-3), (cd["stages"], 1e-2)} <= bers
    # the shipped weights are the exported graphs' (warm starts begin from what ships)
    w = torch.load(os.path.join(path, "weights.pt"), weights_only=False)
    r = w["args"]
    m = rvq.ProgressiveRVQ(r["channels"], r["dim"], r["codebook"], r["stages"], kmeans_init=False).eval()
    m.load_state_dict(w["model"])
    assert np.allclose(m.codebooks().numpy(), np.load(os.path.join(path, "codebooks.npy")), atol=1e-6)
