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


def wait_for(cond, timeout=20):
    import time
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)


def run_msgs(chain, msgs, n_out, in_port="in", out_port="out", timeout=20):
    """Message-connect a block (or a list of blocks, "out" -> "in" in order) in a flowgraph, post
    msgs to the first, collect n_out messages from the last one's out_port; returns them."""
    import time
    import pmt
    from gnuradio import blocks, gr
    chain = chain if isinstance(chain, (list, tuple)) else [chain]
    tb = gr.top_block()
    dbg = blocks.message_debug()
    for a, b in zip(chain, chain[1:]):
        tb.msg_connect(a, "out", b, "in")
    tb.msg_connect(chain[-1], out_port, dbg, "store")
    tb.start()
    try:
        for m in msgs:
            chain[0]._post(pmt.intern(in_port), m)
        try:
            wait_for(lambda: dbg.num_messages() >= n_out, timeout)
        except TimeoutError:
            pass  # the caller asserts on what came
        time.sleep(0.1)
    finally:
        tb.stop()
        tb.wait()
    return [dbg.get_message(i) for i in range(dbg.num_messages())]


def rng(seed=0):
    return np.random.default_rng(seed)
