"""Command lines: evaluate.py JSON, loopback.py output, GNU Radio loopback == model-level evaluation."""
import json
import os
import re

import numpy as np
import pytest
from conftest import DEFAULT_MODEL, EXAMPLE_IMAGES, run_app


def test_evaluate_json_and_reproducible(tmp_path):
    args = ["--model", DEFAULT_MODEL, "--channel", "awgn", "--snr", "1", "10", "--images", EXAMPLE_IMAGES,
            "--realizations", "2"]
    r1 = run_app("evaluate.py", *args, "--json", tmp_path / "a.json")
    assert r1.returncode == 0, r1.stderr
    r2 = run_app("evaluate.py", *args, "--json", tmp_path / "b.json", "--no-ssim")
    a, b = json.loads((tmp_path / "a.json").read_text()), json.loads((tmp_path / "b.json").read_text())
    assert {"model", "channel", "k_over_n", "n_images", "realizations", "results"} <= set(a)
    assert (a["model"], a["channel"], a["n_images"], a["realizations"]) == (DEFAULT_MODEL, "awgn", 2, 2)
    assert abs(a["k_over_n"] - 1 / 6) < 1e-9
    assert [r["snr_db"] for r in a["results"]] == [1.0, 10.0]
    assert [r["psnr_db"] for r in a["results"]] == [r["psnr_db"] for r in b["results"]]  # seeded
    assert a["results"][0]["psnr_db"] < a["results"][1]["psnr_db"] and 0 < a["results"][1]["ssim"] < 1
    assert "10.0" in r1.stdout and "PSNR" in r1.stdout
    # SSIM from the first realization only: the same PSNR, an SSIM over fewer samples
    r3 = run_app("evaluate.py", *args, "--json", tmp_path / "c.json", "--ssim-realizations", "1")
    c = json.loads((tmp_path / "c.json").read_text())
    assert r3.returncode == 0 and [r["psnr_db"] for r in c["results"]] == [r["psnr_db"] for r in a["results"]]
    assert all(0 < r["ssim"] < 1 for r in c["results"]) and c["results"] != a["results"]


def test_evaluate_bad_arguments(tmp_path):
    r = run_app("evaluate.py", "--model", "no-such-model", "--images", EXAMPLE_IMAGES)
    assert r.returncode != 0 and "not found" in r.stderr
    r = run_app("evaluate.py", "--model", DEFAULT_MODEL, "--images", tmp_path)
    assert r.returncode != 0 and "no images" in r.stderr
    r = run_app("evaluate.py", "--model", DEFAULT_MODEL, "--realizations", "0")
    assert r.returncode != 0
    r = run_app("evaluate.py", "--model", DEFAULT_MODEL, "--ssim-realizations", "0")
    assert r.returncode != 0 and "--ssim-realizations" in r.stderr


def test_loopback_app_writes_images_and_prints_mean(tmp_path):
    r = run_app("loopback.py", "--images", EXAMPLE_IMAGES, "--model", DEFAULT_MODEL, "--channel", "awgn",
                "--snr", "10", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.search(r"mean PSNR: \d+\.\d\d dB", r.stdout)
    assert sorted(os.listdir(tmp_path / "snr_10dB")) == ["0000_kodim05.png", "0001_kodim23.png", "metrics.csv"]
    assert os.path.isfile(tmp_path / "compare_kodim23.png")


def test_loopback_app_bad_arguments(tmp_path):
    r = run_app("loopback.py", "--image", tmp_path / "missing.png", "--out", tmp_path)
    assert r.returncode != 0 and "error" in r.stderr
    r = run_app("loopback.py", "--images", EXAMPLE_IMAGES, "--model", "nope", "--out", tmp_path)
    assert r.returncode != 0 and "not found" in r.stderr


@pytest.mark.parametrize("channel", ["awgn", "rayleigh"])
def test_gnuradio_loopback_matches_model_level_evaluation(channel):
    """Same model, SNR and image: the flowgraph and apps/evaluate.py agree within 0.2 dB
    (different noise draws, so both average several realizations)."""
    from gnuradio.jscc.codecs import DeepJSCC
    from gnuradio.jscc.imageio import load_rgb
    from gnuradio.jscc.link.loopback import deepjscc_loopback
    from gnuradio.jscc.metrics import psnr
    from gnuradio.jscc.channels import sim
    path = os.path.join(EXAMPLE_IMAGES, "kodim23.png")
    n = 6 if channel == "awgn" else 40
    snr = 7.0
    tb = deepjscc_loopback([path] * n, DEFAULT_MODEL, channel, snr, seed=5, reference=EXAMPLE_IMAGES,
                           compute_ssim=False)
    results, _ = tb.run_images()
    gr_psnr = [r["psnr_db"] for r in results]
    assert len(gr_psnr) == n
    codec, img, rng = DeepJSCC(DEFAULT_MODEL), load_rgb(path), np.random.default_rng(5)
    x = codec.encode_symbols(img)
    ref = [psnr(img, codec.decode_symbols(sim.apply(channel, x, snr, rng), 512, 768)) for _ in range(n)]
    tol = 0.2 if channel == "awgn" else 1.0  # fading: 40 draws of |h| leave a larger sampling error
    assert abs(np.mean(gr_psnr) - np.mean(ref)) < tol, (np.mean(gr_psnr), np.mean(ref))


def test_benchmark_writes_its_keys(tmp_path):
    r = run_app("benchmark.py", "--images", EXAMPLE_IMAGES, "--passes", "1", "--loopback-images", "4",
                "--ofdm-runs", "1", "--ofdm-samples", "2e6", "--json", tmp_path / "b.json")
    assert r.returncode == 0, r.stderr
    b = json.loads((tmp_path / "b.json").read_text())
    for k in ("ort_ms", "torch_ms", "loopback_images_per_s", "loopback_msym_per_s", "ofdm_loopback_msps",
              "ofdm_image_loopback_images_per_s"):
        assert k in b and (b[k] is None or b[k] > 0)
    assert b["loopback_images"] == 4
    assert b["cpu"] and set(b["cpu_flags"]) <= {"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8"}
    # the sample images are 768x512: the paper's network is 4.2 GMAC there, the exported graphs
    # spend a little more on zero taps of the phase kernels and on the depthwise PReLU terms
    assert 4.2 < b["conv_gmac"] < 4.6 and b["conv_peak_gflops"] > 0
    assert b["conv_floor_ms"] == pytest.approx(2 * b["conv_gmac"] / b["conv_peak_gflops"] * 1000, rel=0.01)
