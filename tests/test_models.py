"""Every shipped model: complete card, loads, and reproduces its card's Kodak figures."""
import os

import numpy as np
import pytest
from conftest import EXAMPLE_IMAGES, MODELS, card, learned_models as shipped_models

from gnuradio.jscc.codecs import DeepJSCC

REQUIRED = ["name", "codec", "architecture", "c", "kn", "k_over_n", "channel", "snr_train_db", "training_data",
            "steps", "wall_time_min", "train_command", "export_command", "onnx_parity_max_abs_diff", "kodak",
            "model_id"]


def test_required_models_are_shipped():
    assert {"deepjscc-kn6-awgn-10db", "deepjscc-kn12-awgn-10db", "deepjscc-kn6-rayleigh-10db"} <= set(shipped_models())


@pytest.mark.parametrize("name", shipped_models())
def test_card_is_complete(name):
    c = card(name)
    assert [k for k in REQUIRED if k not in c] == []
    assert c["name"] == name and c["c"] == 96 // c["kn"] and c["onnx_parity_max_abs_diff"] <= 1e-3
    assert f"kn{c['kn']}" in name and c["channel"].split()[0] in name
    ch = c["channel"].split()[0]
    res = c["kodak"][ch]
    assert res["n_images"] == 24 and str(float(c["snr_train_db"])) in res["results"]
    for f in ("encoder.onnx", "decoder.onnx"):
        assert os.path.getsize(os.path.join(MODELS, name, f)) > 10_000


@pytest.mark.parametrize("name", shipped_models())
def test_reproduces_card_at_snr_train(name):
    """The card's per-image Kodak PSNR at SNR_train, recomputed on the shipped images (same seed)."""
    import subprocess
    import sys
    import json
    import tempfile
    c = card(name)
    ch = c["channel"].split()[0]
    entry = c["kodak"][ch]
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "e.json")
        r = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "..", "apps", "evaluate.py"),
                            "--model", os.path.join(MODELS, name), "--channel", ch, "--snr", str(c["snr_train_db"]),
                            "--images", EXAMPLE_IMAGES, "--realizations", str(entry["per_image_realizations"]),
                            "--seed", str(entry["seed"]), "--no-ssim", "--json", out], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        rows = json.load(open(out))["per_image"]
    want = entry["per_image_psnr_at_snr_train"]
    for row in rows:  # same seed and draws: only onnxruntime's numerics may differ between machines
        assert abs(row["psnr_db"] - want[row["image"]]) < 0.3, (row, want[row["image"]])


@pytest.mark.parametrize("name", shipped_models())
def test_loads_and_no_cliff(name):
    codec = DeepJSCC(os.path.join(MODELS, name), threads=1)
    from gnuradio.jscc.imageio import load_rgb
    from gnuradio.jscc.metrics import psnr
    from gnuradio.jscc.channels import sim
    img = load_rgb(os.path.join(EXAMPLE_IMAGES, "kodim05.png"))
    x = codec.encode_symbols(img)
    rng = np.random.default_rng(0)
    q = [psnr(img, codec.decode_symbols(sim.awgn(x, s, rng), *img.shape[:2])) for s in (-2, 1, 10, 19)]
    assert q == sorted(q) and q[0] > 15  # graceful: quality rises with SNR and never collapses
