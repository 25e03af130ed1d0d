"""Shared fixtures. Tests run against the module installed in .venv (make test installs it)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
APPS = os.path.join(ROOT, "apps")
EXAMPLE_IMAGES = os.path.join(ROOT, "examples", "images")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))
KODAK = os.path.join(SHARED, "kodak")
MODELS = os.path.join(ROOT, "models")
DEFAULT_MODEL = "deepjscc-kn6-awgn-10db"


def shipped_models():
    return sorted(d for d in os.listdir(MODELS) if os.path.isfile(os.path.join(MODELS, d, "model.json")))


def learned_models():
    """Shipped models with ONNX graphs (Deep JSCC so far)."""
    return [n for n in shipped_models() if card(n)["codec"] == "deepjscc"]


def card(name):
    with open(os.path.join(MODELS, name, "model.json")) as f:
        return json.load(f)


@pytest.fixture
def kodak_dir():
    if not os.path.isdir(KODAK) or len(os.listdir(KODAK)) < 24:
        pytest.skip(f"needs the full Kodak set at {KODAK} (not part of the repository)")
    return KODAK


@pytest.fixture(scope="session")
def codec():
    from gnuradio.jscc.codecs import DeepJSCC
    return DeepJSCC(DEFAULT_MODEL, threads=1)


@pytest.fixture(scope="session")
def kodim23():
    from gnuradio.jscc.imageio import load_rgb
    return load_rgb(os.path.join(EXAMPLE_IMAGES, "kodim23.png"))


def run_app(name, *args, timeout=600):
    """Run apps/<name> with the venv's Python; returns CompletedProcess (text)."""
    return subprocess.run([sys.executable, os.path.join(APPS, name), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)


def rng(seed=0):
    return np.random.default_rng(seed)
