"""Progressive hyperprior codec (codecs/progressive.py, codecs/entropy.py) on a tiny model trained
for a few steps and exported here, plus the shipped model when there is one.

What is guaranteed and tested: the same image gives the same bytes; the same bytes give the same
z_hat, means, scale indices and y_hat on every engine and thread count (the image itself is the
float decoder's output and may differ by float rounding); every prefix and every subset of
chunks decodes; damaged chunks are reported, never raised."""
import json
import os
import shutil

import numpy as np
import pytest
from conftest import EXAMPLE_IMAGES, MODELS, card, run_app, shipped_models

from gnuradio.jscc import codecs, engines, evaluation
from gnuradio.jscc.codecs import entropy
from gnuradio.jscc.codecs.base import BYTES, Chunk
from gnuradio.jscc.metrics import psnr
from gnuradio.jscc.models import ModelError

torch = pytest.importorskip("torch", reason="the tiny model is trained and exported here (needs torch)")
from gnuradio.jscc.training import hyperprior as hp  # noqa: E402
from gnuradio.jscc.training import hyperprior_export as hx  # noqa: E402

GROUPS = (4, 4, 8, 8)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, kodim23):
    """(folder, torch model): 60 quick steps so the latents are no longer the initialisation's."""
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two threads on two busy cores are slower than one
    model = hp.ProgressiveHyperprior(16, sum(GROUPS), GROUPS)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    rng = np.random.default_rng(0)
    for _ in range(60):
        ys, xs = rng.integers(0, 512 - 64, 4), rng.integers(0, 768 - 64, 4)
        x = torch.from_numpy(np.stack([kodim23[y:y + 64, x:x + 64] for y, x in zip(ys, xs)]).transpose(0, 3, 1, 2).copy())
        loss, _, _ = hp.rd_loss(model, x.float(), 0.05)
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.set_num_threads(threads)
    folder = str(tmp_path_factory.mktemp("prog") / "tiny")
    hx.export_model(model, folder, [kodim23[:256, :256], kodim23[256:, 256:512]], {"name": "tiny", "model_id": 81},
                    check_image=kodim23[:128, :192])
    return folder, model.eval()


@pytest.fixture(scope="module")
def codec(tiny):
    return codecs.load(tiny[0], threads=1, engine="onnxruntime")


@pytest.fixture(scope="module")
def img(kodim23):
    return np.ascontiguousarray(kodim23[100:228, 200:392])  # 128 x 192


def _all(chunks):
    return {c.index: c for c in chunks}


def test_chunks_and_determinism(codec, img):
    a, b = codec.encode(img), codec.encode(img)
    assert len(a) == codec.max_chunks(*img.shape[:2]) == len(GROUPS)
    assert [c.data.tobytes() for c in a] == [c.data.tobytes() for c in b]
    assert all(c.kind == BYTES for c in a)
    total = 0
    for g, c in enumerate(a):
        total += c.data.size
        assert (c.index, c.meta["group"], c.meta["channels"], c.meta["first_channel"]) == \
            (g, g, GROUPS[g], sum(GROUPS[:g]))
        assert c.meta["n_bytes"] == c.data.size and c.meta["cum_bytes"] == total
        assert c.meta["bpp"] == pytest.approx(8 * total / img[..., 0].size, abs=1e-4)
        assert g == 0 or c.data.size % 4 == 0  # a group stream is whole 32-bit words
    assert [s["n_bytes"] for s in codec.encode_prefix_sizes(img)] == [c.meta["cum_bytes"] for c in a]
    fit = codec.encode(img, budget=a[1].meta["cum_bytes"])  # the longest prefix that fits
    assert [c.data.tobytes() for c in fit] == [c.data.tobytes() for c in a[:2]]
    assert codec.encode(img, budget=a[0].data.size - 1) == []


def test_latent_is_exact_across_engines_and_threads(tiny, img):
    """Same bytes -> bit-identical y_hat everywhere; the image only within float rounding."""
    names = [e for e in ("onnxruntime", "openvino") if e in engines.available()]
    ref = codecs.load(tiny[0], threads=1, engine="onnxruntime")
    chunks = _all(ref.encode(img))
    y0, _ = ref.decode_latent(chunks, *img.shape[:2])
    im0 = ref.decode(chunks, *img.shape[:2]).image
    for name in names:
        for threads in (1, 2):
            c = codecs.load(tiny[0], threads=threads, engine=name)
            y, info = c.decode_latent(chunks, *img.shape[:2])
            assert y.tobytes() == y0.tobytes(), (name, threads)
            im = c.decode(chunks, *img.shape[:2]).image
            assert np.abs(im.astype(int) - im0).max() <= 2, (name, threads)


def test_every_prefix_decodes_and_latent_error_falls(codec, img):
    h, w = img.shape[:2]
    chunks = codec.encode(img)
    y, _ = codec.analyse(img)
    errs = []
    for g in range(1, len(chunks) + 1):
        part = _all(chunks[:g])
        y_hat, info = codec.decode_latent(part, h, w)
        assert info["groups_used"] == list(range(g)) and info["prefix"] == g and not info["failed"]
        errs.append(float(np.abs(y_hat - y).sum()))
        out = codec.decode(part, h, w).image
        assert out.shape == (h, w, 3) and out.dtype == np.uint8
    # a received element is within 0.5 of y, a missing one is its mean: never closer
    assert errs == sorted(errs, reverse=True) and errs[-1] < errs[0]
    assert float(np.abs(codec.decode_latent(_all(chunks), h, w)[0] - y).max()) <= 0.5 + 1e-6


def test_any_subset_decodes_missing_groups_are_means(codec, img):
    h, w = img.shape[:2]
    chunks = codec.encode(img)
    full, _ = codec.decode_latent(_all(chunks), h, w)
    base, _ = codec.decode_latent({0: chunks[0]}, h, w)  # group 0 + the means of the rest
    y_hat, info = codec.decode_latent({0: chunks[0], 2: chunks[2], 3: None}, h, w)
    assert info["groups_used"] == [0, 2] and info["missing"] == [1, 3] and info["prefix"] == 1
    c = codec.cum
    assert np.array_equal(y_hat[c[2]:c[3]], full[c[2]:c[3]])
    assert np.array_equal(y_hat[c[1]:c[2]], base[c[1]:c[2]]) and np.array_equal(y_hat[c[3]:], base[c[3]:])
    assert codec.decode({0: chunks[0], 3: chunks[3]}, h, w).image.shape == (h, w, 3)


def test_damaged_chunks_are_reported_not_raised(codec, img):
    h, w = img.shape[:2]
    chunks = codec.encode(img)
    rng = np.random.default_rng(5)
    d = chunks[2].data
    bad = {"truncated": d[:d.size // 2], "odd length": d[:-1], "empty": d[:0],
           "garbage": rng.integers(0, 256, d.size, dtype=np.uint8), "extended": np.concatenate([d, d[:8]])}
    for why, data in bad.items():
        part = {**_all(chunks), 2: Chunk(2, BYTES, data)}
        out = codec.decode(part, h, w)
        assert 2 in out.info["corrupt"] and out.info["groups_used"] == [0, 1, 3], why
        assert not out.info["failed"] and out.image.shape == (h, w, 3)
    # chunk 0 damaged or lost: nothing decodes, the mid-grey failure image
    for c0 in (None, Chunk(0, BYTES, rng.integers(0, 256, 40, dtype=np.uint8)), Chunk(0, BYTES, np.frombuffer(b"\xff\xff\xff", np.uint8)),
               Chunk(0, BYTES, chunks[0].data[:5])):
        out = codec.decode({**_all(chunks), 0: c0}, h, w)
        assert out.info["failed"] and (out.image == 128).all()
    assert codec.decode({}, h, w).info["failed"]
    # bytes of another image size do not pass as this one's
    assert codec.decode(_all(chunks), h + 64, w).info["corrupt"]
    out = codec.decode({**_all(chunks), 7: chunks[1], "x": None}, h, w)
    assert out.info["extra"] == [7, "x"] and out.info["groups_used"] == [0, 1, 2, 3]


def test_any_image_size(codec, kodim23):
    for h, w in ((70, 100), (64, 64), (1, 130)):
        im = np.ascontiguousarray(kodim23[:h, :w])
        out = codec.decode(_all(codec.encode(im)), h, w)
        assert out.image.shape == (h, w, 3) and not out.info["failed"]


def test_integer_hs_matches_float(tiny, codec, img):
    _, model = tiny
    _, z_hat = codec.analyse(img)
    mu_int, idx = codec.entropy_parameters(z_hat)
    with torch.no_grad():
        out = model.h_s(torch.from_numpy(z_hat[None]).float())[0].double().numpy()
    mu, log_s = out[:codec.m], out[codec.m:]
    assert np.abs(mu_int / 2 ** codec.mean_bits - mu).max() < 0.02
    want = codec.scale_index(np.rint(log_s * 2 ** codec.log_scale_bits).astype(np.int64))
    assert np.mean(idx == want) > 0.99 and np.abs(idx - want).max() <= 1
    assert np.array_equal(codec.entropy_parameters(z_hat)[0], mu_int)  # deterministic


def test_integer_conv_is_exact():
    """conv_layer_int against a float64 torch convolution on integers: equal, not close."""
    rng = np.random.default_rng(1)
    a = rng.integers(-50, 50, (5, 7, 6))
    for kind, layer in ((entropy.TCONV, torch.nn.ConvTranspose2d(6, 4, 5, 2, 2, output_padding=1)),
                        (entropy.CONV, torch.nn.Conv2d(6, 4, 3, 1, 1))):
        w = rng.integers(-2000, 2000, tuple(layer.weight.shape))
        layer = layer.double()
        layer.weight.data = torch.from_numpy(w).double()
        layer.bias.data.zero_()
        ours = entropy.conv_layer_int(a, w.transpose((0, 2, 3, 1) if kind == entropy.TCONV else (1, 2, 3, 0)),
                                      kind, layer.stride[0], layer.padding[0])
        with torch.no_grad():
            ref = layer(torch.from_numpy(a.transpose(2, 0, 1)[None]).double())[0].numpy().transpose(1, 2, 0)
        assert ours.shape == ref.shape and np.array_equal(ours, ref)


def test_bitstream_helpers():
    for n in (0, 1, 127, 128, 300, 1 << 20):
        v = entropy.varint(n)
        assert entropy.read_varint(v + b"\x01") == (n, len(v))
    with pytest.raises(entropy.CorruptStream):
        entropy.read_varint(b"\x80\x80")
    counts = hx.to_counts(np.array([[0.5, 0.5, 0.0], [1e-12, 1.0, 1e-12]]))
    assert (counts >= 1).all() and (counts.sum(1) == 1 << entropy.PRECISION).all()


def test_bad_model_folders(tiny, tmp_path):
    src = tiny[0]

    def broken(name, edit):
        d = tmp_path / name
        shutil.copytree(src, d)
        edit(d)
        return str(d)

    with pytest.raises(ModelError, match="entropy.npz does not exist"):
        codecs.load(broken("no-npz", lambda d: os.remove(d / "entropy.npz")))

    def reshape_z(d):
        with np.load(d / "entropy.npz") as f:
            a = dict(f)
        a["z_counts"] = a["z_counts"][:-1]
        np.savez(d / "entropy.npz", **a)
    with pytest.raises(ModelError, match="z_counts has shape"):
        codecs.load(broken("bad-shape", reshape_z))

    def drop_layer(d):
        with np.load(d / "entropy.npz") as f:
            a = dict(f)
        del a["hs1_mult"]
        np.savez(d / "entropy.npz", **a)
    with pytest.raises(ModelError, match="hs1_mult"):
        codecs.load(broken("no-layer", drop_layer))

    def other_groups(d):
        c = json.loads((d / "model.json").read_text())
        c["groups"] = [8, 8, 4, 4]
        (d / "model.json").write_text(json.dumps(c))
    with pytest.raises(ModelError, match="groups"):
        codecs.load(broken("groups", other_groups))
    with pytest.raises(ModelError, match="decoder.onnx"):
        codecs.load(broken("no-decoder", lambda d: os.remove(d / "decoder.onnx")))
    (tmp_path / "junk").mkdir()
    shutil.copy(os.path.join(src, "model.json"), tmp_path / "junk")
    (tmp_path / "junk" / "entropy.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="entropy.npz"):
        codecs.load(str(tmp_path / "junk"))


def test_rate_distortion_evaluation(codec, img, tmp_path):
    from PIL import Image
    Image.fromarray(img).save(tmp_path / "a.png")
    res, rows, skipped = evaluation.rate_distortion(codec, [str(tmp_path / "a.png")], with_ssim=False, progress=False)
    assert [r["groups"] for r in res] == [1, 2, 3, 4] and not skipped
    sizes = codec.encode_prefix_sizes(img)
    assert [r["bpp"] for r in res] == [round(s["bpp"], 4) for s in sizes]
    assert all(set(r) == {"groups", "bpp", "psnr_db", "ssim"} for r in res)
    with pytest.raises(ValueError, match="several chunks"):  # not silently the first chunk only
        evaluation.scheme(codec, "awgn", kn=6)


def test_bit_errors_without_fec_are_counted_not_raised(codec, img, tmp_path):
    """The entropy-coded stream through an uncoded link (evaluate.py --fec none --ber): flipped
    bits are caught by the streams' end marks, the damaged groups left out, never an exception."""
    from PIL import Image
    Image.fromarray(img).save(tmp_path / "a.png")
    res, _, _ = evaluation.bit_errors(codec, [str(tmp_path / "a.png")], None, [0, 1e-3, 3e-2], realizations=4,
                                      progress=False)
    by = {(r["stages"], r["ber"]): r for r in res}
    assert len(res) == 4 * 3 and all({"stages", "ber", "bpp", "psnr_db", "ssim", "ms_ssim"} <= set(r) for r in res)
    assert all(by[(s, 0)]["decode_failures"] == 0 and by[(s, 0)]["corrupt_chunks"] == 0 for s in range(1, 5))
    worst = by[(4, 3e-2)]
    assert worst["bit_flips"] > 0 and worst["decode_failures"] + worst["corrupt_chunks"] > 0


def test_train_export_evaluate_commands(tmp_path, kodim23):
    from PIL import Image
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        Image.fromarray(kodim23[:, 256 * i:256 * i + 256]).save(data / f"img{i}.png")
    run = tmp_path / "run"
    args = ["--data", data, "--out", run, "--hyper-channels", "8", "--latent-channels", "12", "--groups", "4,8", "--batch", "2", "--crop", "64",
            "--val-every", "2", "--ckpt-every", "2", "--threads", "1"]
    r = run_app("train_hyperprior.py", *args, "--steps", "2", timeout=300)
    assert r.returncode == 0, r.stderr
    r = run_app("train_hyperprior.py", *args, "--steps", "4", timeout=300)
    assert r.returncode == 0 and "resumed at step 2" in r.stdout, r.stdout + r.stderr
    log = [json.loads(line) for line in (run / "train.log").read_text().splitlines()]
    assert [x["step"] for x in log] == [2, 4] and len(log[-1]["val_prefixes"]) == 2 and (run / "val.png").is_file()
    r = run_app("export_hyperprior.py", "--run", run, "--name", "t", "--models", tmp_path / "models", "--data", data,
                "--calib", "2", timeout=300)
    assert r.returncode == 0, r.stderr
    c = json.loads((tmp_path / "models" / "t" / "model.json").read_text())
    assert c["steps"] == 4 and c["groups"] == [4, 8] and c["model_id"] == 80 and "cost_vs_float_on_examples" in c["integer_hs"]
    r = run_app("evaluate.py", "--model", tmp_path / "models" / "t", "--groups", "all", "--images", data, "--no-ssim",
                "--json", tmp_path / "rd.json", "--update-card", timeout=300)
    assert r.returncode == 0, r.stderr
    rd = json.loads((tmp_path / "rd.json").read_text())["results"]
    assert [x["groups"] for x in rd] == [1, 2] and rd[0]["bpp"] < rd[1]["bpp"]
    assert json.loads((tmp_path / "models" / "t" / "model.json").read_text())["kodak_rd"]["results"] == rd
    r = run_app("evaluate.py", "--model", tmp_path / "models" / "t", "--fec", "none", "--stages", "all", "--ber", "0",
                "1e-2", "--images", data, "--realizations", "2", "--json", tmp_path / "ber.json", timeout=300)
    assert r.returncode == 0, r.stderr
    ber = json.loads((tmp_path / "ber.json").read_text())
    assert ber["fec"] == "none" and [(x["stages"], x["ber"]) for x in ber["results"]] == [(1, 0), (1, 0.01), (2, 0), (2, 0.01)]
    assert all(x["transmissions"] == 6 and "decode_failures" in x and x["ms_ssim"] is not None for x in ber["results"])


# --- the shipped model, when there is one ---------------------------------------------------------
def _shipped():
    return [n for n in shipped_models() if card(n)["codec"] == "progressive-hyperprior"]


@pytest.mark.parametrize("name", _shipped())
def test_shipped_model_quality_rises_with_groups(name):
    from gnuradio.jscc.imageio import list_images, load_rgb
    c = codecs.load(os.path.join(MODELS, name), threads=1)
    for p in list_images(EXAMPLE_IMAGES):
        im = load_rgb(p)
        chunks = c.encode(im)
        q = [psnr(im, c.decode(_all(chunks[:g]), *im.shape[:2]).image) for g in range(1, len(chunks) + 1)]
        # a group never costs quality (0.01 dB slack: the trailing groups of a short training carry
        # next to nothing, and decoding them moves the image by rounding only)
        assert all(b >= a - 0.01 for a, b in zip(q, q[1:])) and q[-1] > q[0] + 3, (p, q)
    rd = card(name)["kodak_rd"]
    assert rd["n_images"] == 24 and len(rd["results"]) == len(c.groups)
