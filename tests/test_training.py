"""Training side (needs torch): export rewrites, ONNX parity, the training command."""
import json
import os
import shutil

import numpy as np
import pytest
from conftest import EXAMPLE_IMAGES, MODELS, ROOT, run_app, learned_models as shipped_models

torch = pytest.importorskip("torch", reason="training tests need torch (make test installs requirements-train.txt)")
from gnuradio.jscc.training.channels import AWGN, RayleighKnownPhase  # noqa: E402
from gnuradio.jscc.training.deepjscc import DeepJSCC, c_for_kn  # noqa: E402
from gnuradio.jscc.training.export import export_onnx, fast_decoder, fast_encoder  # noqa: E402


def test_architecture_matches_paper():
    m = DeepJSCC(16, AWGN(10))
    convs = [l for l in m.encoder.net if isinstance(l, torch.nn.Conv2d)]
    assert [(l.out_channels, l.kernel_size, l.stride) for l in convs] == \
        [(16, (5, 5), (2, 2)), (32, (5, 5), (2, 2)), (32, (5, 5), (1, 1)), (32, (5, 5), (1, 1)), (16, (5, 5), (1, 1))]
    tconvs = [l for l in m.decoder.net if isinstance(l, torch.nn.ConvTranspose2d)]
    assert [(l.out_channels, l.stride) for l in tconvs] == [(32, (1, 1)), (32, (1, 1)), (32, (1, 1)), (16, (2, 2)), (3, (2, 2))]
    assert isinstance(m.decoder.net[-1], torch.nn.Sigmoid)
    x = torch.rand(2, 3, 64, 96) * 255
    z = m.encoder(x)
    assert z.shape == (2, 16, 16, 24)
    assert torch.allclose(z.pow(2).flatten(1).sum(1) / (z[0].numel() / 2), torch.ones(2), atol=1e-4)  # P = 1
    assert m(x).shape == x.shape
    assert (c_for_kn(6), c_for_kn(12)) == (16, 8)
    with pytest.raises(ValueError):
        c_for_kn(7)


def test_channel_layers_snr():
    z = torch.ones(4, 16, 32, 32) / 2 ** 0.5  # unit power per complex symbol
    n = AWGN(7.0)(z) - z
    assert abs(10 * np.log10(1 / (2 * n.pow(2).mean().item())) - 7.0) < 0.1
    y = RayleighKnownPhase(60.0)(z)
    gains = (y / z).flatten(1).mean(1)
    assert (gains > 0).all() and gains.std() > 0.05  # real gain |h|, one per image


def _random_weights(m):
    torch.manual_seed(0)
    for p in m.parameters():  # not just the init: any weights, PReLU slopes below 0 and above 1 too
        p.data.normal_(0, 0.2)
    for p in (m.encoder.net[1].weight, m.decoder.net[7].weight):
        p.data.uniform_(-0.5, 2.0)
    return m


def test_decoder_rewrite_is_exact():
    m = _random_weights(DeepJSCC(8, AWGN(10)).eval())
    fast = fast_decoder(m.decoder)
    z = torch.randn(2, 8, 12, 20)
    with torch.no_grad():  # before the sigmoid, relative to the magnitude: float32 rounding only
        a, b = fast.shuffle(fast.net[:-1](z)), m.decoder.net[:-1](z)
        assert a.shape == b.shape
        assert ((a - b).abs().max() / b.abs().max()).item() < 1e-5
        # the sigmoid is 1/4-Lipschitz: the images differ by no more than a quarter of that (random
        # weights drive the pre-activations to ~50, so this is ~1e-4 of 255, above it on some CPUs'
        # summation order), and well inside the export's parity rule of 1e-3
        out = (fast(z) - m.decoder(z)).abs().max().item() / 255
        assert out <= 0.25 * (a - b).abs().max().item() * 1.01 + 1e-7 and out <= 1e-3
    assert not any(isinstance(l, (torch.nn.ConvTranspose2d, torch.nn.PReLU)) for l in fast.modules())
    assert all(l.pos is None for l in fast.net if hasattr(l, "pos"))  # slopes > 1 flipped away


def test_encoder_rewrite_is_exact():
    m = _random_weights(DeepJSCC(16, AWGN(10)).eval())
    fast = fast_encoder(m.encoder)
    x = torch.rand(2, 3, 36, 52) * 255
    with torch.no_grad():
        a, b = fast.net(x), m.encoder.net(x / 255.0)
        assert ((a - b).abs().max() / b.abs().max()).item() < 1e-5
        assert torch.allclose(fast(x), m.encoder(x), atol=1e-4)
    assert not any(isinstance(l, torch.nn.PReLU) for l in fast.modules())


def test_export_parity_random_model(tmp_path):
    import onnxruntime as ort
    m = _random_weights(DeepJSCC(16, AWGN(10)).eval())
    export_onnx(fast_encoder(m.encoder), torch.rand(1, 3, 32, 32) * 255, str(tmp_path / "e.onnx"), "image", "latent")
    export_onnx(fast_decoder(m.decoder), torch.randn(1, 16, 8, 8), str(tmp_path / "d.onnx"), "latent", "image")
    x = (torch.rand(1, 3, 68, 124) * 255)  # another size than exported: dynamic axes work
    with torch.no_grad():
        ref = m.decoder(m.encoder(x)).numpy()
    z = ort.InferenceSession(str(tmp_path / "e.onnx")).run(None, {"image": x.numpy()})[0]
    y = ort.InferenceSession(str(tmp_path / "d.onnx")).run(None, {"latent": z})[0]
    assert np.abs(y - ref).max() / 255 <= 1e-3


@pytest.mark.parametrize("name", shipped_models())
def test_shipped_onnx_matches_pytorch(name, kodim23):
    from gnuradio.jscc.codecs import DeepJSCC as OrtCodec
    w = torch.load(os.path.join(MODELS, name, "weights.pt"), weights_only=False)
    m = DeepJSCC(w["c"], AWGN(10)).eval()
    m.load_state_dict(w["model"])
    x = torch.from_numpy(kodim23.transpose(2, 0, 1)[None].astype(np.float32))
    with torch.no_grad():
        ref = m.decoder(m.encoder(x)).round().clamp(0, 255).numpy()[0].transpose(1, 2, 0)
    codec = OrtCodec(os.path.join(MODELS, name), threads=1, engine="onnxruntime")  # the graph itself, in fp32
    out = codec.decode_symbols(codec.encode_symbols(kodim23), 512, 768)
    assert np.abs(out.astype(float) - ref).max() <= 1  # uint8 rounding of values within 1e-3 of each other


def test_training_command_runs_and_resumes(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):  # split_holdout keeps every 200th image for validation: one of these
        shutil.copy(os.path.join(EXAMPLE_IMAGES, "kodim23.png"), data / f"img{i}.png")
    run = tmp_path / "run"
    args = ["--kn", "12", "--channel", "rayleigh", "--snr", "5", "--data", data, "--out", run, "--batch", "2",
            "--crop", "64", "--val-every", "2", "--ckpt-every", "2", "--threads", "1"]
    r = run_app("train_deepjscc.py", *args, "--steps", "2", timeout=300)
    assert r.returncode == 0, r.stderr
    r = run_app("train_deepjscc.py", *args, "--steps", "4", timeout=300)
    assert r.returncode == 0 and "resumed at step 2" in r.stdout, r.stdout + r.stderr
    ck = torch.load(run / "checkpoint.pt", weights_only=False)
    assert ck["step"] == 4
    log = [json.loads(l) for l in (run / "train.log").read_text().splitlines()]
    assert [l["step"] for l in log] == [2, 4] and os.path.isfile(run / "val.png")
    r = run_app("export_deepjscc.py", "--run", run, "--name", "tiny", "--models", tmp_path / "models", timeout=300)
    assert r.returncode == 0, r.stderr
    card = json.loads((tmp_path / "models" / "tiny" / "model.json").read_text())
    assert card["kn"] == 12 and card["c"] == 8 and card["steps"] == 4 and card["channel"].startswith("rayleigh")


def test_training_runs_under_torchrun_ddp(tmp_path):
    """The same command under torchrun with 2 CPU processes (gloo): one checkpoint with both
    processes' crop generators, resumable, and a batch that does not split is refused."""
    import subprocess
    import sys
    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):
        shutil.copy(os.path.join(EXAMPLE_IMAGES, "kodim05.png"), data / f"img{i}.png")
    run = tmp_path / "run"
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    cmd = [torchrun, "--nproc-per-node", "2", "--master-port", "29517", os.path.join(ROOT, "apps", "train_deepjscc.py"),
           "--kn", "12", "--snr", "5", "--data", str(data), "--out", str(run), "--batch", "4", "--crop", "64",
           "--val-every", "2", "--ckpt-every", "2", "--threads", "1", "--bf16"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    r = subprocess.run(cmd + ["--steps", "2"], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "2 processes" in r.stdout
    r = subprocess.run(cmd + ["--steps", "4"], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0 and "resumed at step 2" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
    ck = torch.load(run / "checkpoint.pt", weights_only=False)
    assert ck["step"] == 4 and ck["world"] == 2 and len(ck["np_rng"]) == 2
    assert json.loads((run / "run.json").read_text())["processes"] == 2
    with pytest.raises(subprocess.CalledProcessError):  # a batch that does not split over the processes
        subprocess.run(cmd + ["--steps", "6", "--batch", "3"], capture_output=True, text=True, timeout=300, env=env,
                       check=True)
