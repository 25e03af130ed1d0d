"""The Deep JSCC codec core: symbol counts, power, odd sizes, bad input, model lookup."""
import json
import os
import shutil

import numpy as np
import pytest
from conftest import DEFAULT_MODEL, MODELS

from gnuradio.jscc.codecs import DeepJSCC
from gnuradio.jscc.codecs.deepjscc import fit_length
from gnuradio.jscc.imageio import ImageError, load_rgb, to_rgb
from gnuradio.jscc.metrics import psnr, ssim
from gnuradio.jscc.models import ModelError, find_model, load_card, save_card


def test_symbols_are_power_normalised(codec, kodim23):
    s = codec.encode_symbols(kodim23)
    assert s.dtype == np.complex64 and s.size == codec.n_symbols(512, 768) == 512 * 768 * 3 // codec.kn // 1
    assert abs(np.mean(np.abs(s) ** 2) - 1) < 1e-3


def test_noiseless_round_trip_is_a_real_reconstruction(codec, kodim23):
    y = codec.decode_symbols(codec.encode_symbols(kodim23), 512, 768)
    assert y.shape == kodim23.shape and y.dtype == np.uint8
    assert psnr(kodim23, y) > 20  # a trained model, not noise (noise gives ~ 8 dB)


@pytest.mark.parametrize("shape", [(8, 8), (4097, 3), (1, 1), (33, 65), (5, 4)])
def test_any_image_size(codec, shape):
    img = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    s = codec.encode_symbols(img)
    assert s.size == codec.n_symbols(*shape) == codec.c // 2 * -(-shape[0] // 4) * -(-shape[1] // 4)
    assert codec.decode_symbols(s, *shape).shape == (*shape, 3)


def test_grayscale_rgba_and_palette_inputs(codec, tmp_path):
    from PIL import Image
    gray = np.tile(np.arange(64, dtype=np.uint8), (32, 1))
    Image.fromarray(gray).save(tmp_path / "g.png")
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    rgba[:8, :, 3] = 0  # transparent half -> white
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    Image.fromarray(gray).convert("P").save(tmp_path / "p.gif")
    g = load_rgb(tmp_path / "g.png")
    assert g.shape == (32, 64, 3) and (g[..., 0] == g[..., 2]).all()
    a = load_rgb(tmp_path / "a.png")
    assert (a[:8] == 255).all() and (a[8:] == [200, 0, 0]).all()
    assert load_rgb(tmp_path / "p.gif").shape == (32, 64, 3)
    assert codec.encode_symbols(g).size == codec.n_symbols(32, 64)


def test_unreadable_images_raise_clear_errors(tmp_path):
    bad = tmp_path / "corrupt.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    with pytest.raises(ImageError, match="corrupt.png"):
        load_rgb(bad)
    with pytest.raises(ImageError, match="missing.png"):
        load_rgb(tmp_path / "missing.png")
    with pytest.raises(ImageError):
        to_rgb(np.zeros((0, 5, 3)))
    with pytest.raises(ImageError):
        to_rgb(np.zeros((4, 4, 2)))


def test_decode_wrong_length_raises_and_fit_length_repairs(codec):
    n = codec.n_symbols(16, 16)
    with pytest.raises(ValueError, match="expected"):
        codec.decode_symbols(np.zeros(n - 1, np.complex64), 16, 16)
    x = np.ones(n - 5, np.complex64)
    x[0] = np.nan
    y, missing, extra, nonfinite = fit_length(x, n)
    assert (y.size, missing, extra, nonfinite) == (n, 5, 0, 1) and y[0] == 0 and (y[-5:] == 0).all()
    y, missing, extra, nonfinite = fit_length(np.ones(n + 3, np.complex64), n)
    assert (y.size, missing, extra, nonfinite) == (n, 0, 3, 0)


def test_missing_and_wrong_models(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        DeepJSCC("no-such-model")
    with pytest.raises(ModelError, match="does not exist"):
        DeepJSCC(str(tmp_path / "nowhere"))
    broken = tmp_path / "broken"
    shutil.copytree(os.path.join(MODELS, DEFAULT_MODEL), broken)
    os.remove(broken / "decoder.onnx")
    with pytest.raises(ModelError, match="decoder.onnx"):
        DeepJSCC(str(broken))
    (broken / "decoder.onnx").write_bytes(b"not onnx at all")
    with pytest.raises(ModelError, match="not a loadable ONNX"):
        DeepJSCC(str(broken))
    shutil.copy(broken / "encoder.onnx", broken / "decoder.onnx")  # right format, wrong graph
    with pytest.raises(ModelError, match="does not match"):
        DeepJSCC(str(broken))
    card = json.loads((broken / "model.json").read_text())
    (broken / "model.json").write_text(json.dumps(dict(card, codec="jpeg")))
    with pytest.raises(ModelError, match="not deepjscc"):
        DeepJSCC(str(broken))


def test_encoder_only_codec_checks_but_skips_the_decoder(kodim23, tmp_path):
    enc = DeepJSCC(DEFAULT_MODEL, threads=1, parts=("encoder",))
    assert enc.encode_symbols(kodim23).size == enc.n_symbols(512, 768)
    with pytest.raises(RuntimeError, match="decoder not loaded"):
        enc.decode_symbols(np.zeros(enc.n_symbols(8, 8), np.complex64), 8, 8)
    half = tmp_path / "half"
    shutil.copytree(os.path.join(MODELS, DEFAULT_MODEL), half)
    os.remove(half / "decoder.onnx")
    with pytest.raises(ModelError, match="decoder.onnx"):  # a broken folder still fails at construction
        DeepJSCC(str(half), parts=("encoder",))
    with pytest.raises(ValueError, match="parts"):
        DeepJSCC(DEFAULT_MODEL, parts=("both",))


def test_models_found_by_name_and_env(tmp_path, monkeypatch):
    assert os.path.isfile(os.path.join(find_model(DEFAULT_MODEL), "encoder.onnx"))
    shutil.copytree(os.path.join(MODELS, DEFAULT_MODEL), tmp_path / "mine")
    monkeypatch.setenv("JSCC_MODEL_PATH", str(tmp_path))
    assert find_model("mine") == str(tmp_path / "mine")


def test_metrics():
    a = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert psnr(a, a) == float("inf") and abs(ssim(a, a) - 1) < 1e-12
    b = np.clip(a.astype(int) + 5, 0, 255).astype(np.uint8)
    assert 30 < psnr(a, b) < 35.5
    assert psnr(a, b) == pytest.approx(10 * np.log10(255 ** 2 / np.mean((a.astype(float) - b) ** 2)), abs=1e-12)
    black, white = np.zeros((4, 4, 3), np.uint8), np.full((4, 4, 3), 255, np.uint8)
    assert psnr(black, white) == psnr(white, black) == 0.0  # no uint8 wrap-around
    noisy = np.clip(a + np.random.default_rng(1).normal(0, 40, a.shape), 0, 255).astype(np.uint8)
    assert 0 < ssim(a, noisy) < ssim(a, b) < 1
    with pytest.raises(ValueError):
        psnr(a, a[:10])


def test_save_card_replaces_the_card_whole(tmp_path):
    """Cards are rewritten while sweeps read them (evaluate --update-card beside reproduce_paper):
    the write goes through a temporary file and a rename, so no reader sees half a card."""
    save_card(str(tmp_path), {"name": "a", "kodak": {}})
    before = os.stat(tmp_path / "model.json").st_ino
    save_card(str(tmp_path), {"name": "b", "kodak": {"awgn": {"n_images": 24}}})
    assert load_card(str(tmp_path)) == {"name": "b", "kodak": {"awgn": {"n_images": 24}}}
    assert os.stat(tmp_path / "model.json").st_ino != before  # a new file renamed over the old one
    assert os.listdir(tmp_path) == ["model.json"]  # no temporary file left behind
