"""GRC: every block has a documented .block.yml; every example compiles with grcc; the compiled
loopback flowgraphs construct every block and deliver images."""
import glob
import importlib.util
import os
import subprocess
import sys

import pytest
import yaml
from conftest import EXAMPLE_IMAGES, ROOT

from gnuradio import jscc

YMLS = sorted(glob.glob(os.path.join(ROOT, "grc", "*.block.yml")))
GRCS = sorted(glob.glob(os.path.join(ROOT, "examples", "*.grc")))
BLOCKS_PATH = os.path.join(sys.prefix, "share", "gnuradio", "grc", "blocks")


def test_every_block_has_a_yml():
    ids = {os.path.basename(p)[len("jscc_"):-len(".block.yml")] for p in YMLS}
    public = {"awgn_cc", "rayleigh_cc", "rayleigh_tv_cc", "image_source", "image_sink", "deepjscc_encoder",
              "deepjscc_encode_pdu", "deepjscc_decoder", "deepjscc_decode_pdu", "pdu_to_stream", "stream_to_pdu",
              "ofdm_mod_cc", "ofdm_sync_cc", "ofdm_demod_cc", "soft_demapper_cf", "ofdm_tx", "ofdm_rx", "qam_mapper",
              "frame_reassembler", "channel_sim", "deepjscc_ofdm_tx", "deepjscc_ofdm_rx", "image_view",
              "codec_encoder", "codec_encode_pdu", "codec_decoder", "codec_decode_pdu", "chunk_fec_encoder",
              "chunk_fec_decoder", "codec_ofdm_tx", "codec_ofdm_rx", "slot_scheduler", "csi_tap",
              "ldpc_encoder_pdu", "ldpc_decoder_pdu"}
    assert ids == public


@pytest.mark.parametrize("path", YMLS, ids=os.path.basename)
def test_yml_is_documented_and_consistent(path):
    with open(path) as f:
        y = yaml.safe_load(f)
    name = os.path.basename(path)[:-len(".block.yml")]
    assert y["id"] == name and y["category"].startswith("[JSCC]") and y["file_format"] == 1
    assert len(y["documentation"]) > 200
    block = name[len("jscc_"):]
    make = y["templates"]["make"]
    # Qt GUI blocks start with GRC's mako preamble for the widget name
    assert (make.startswith(f"jscc.{block}(") or f"\njscc.{block}(" in make) and hasattr(jscc, block)
    for p in y["parameters"]:
        assert f"${{{p['id']}}}" in make or f"${{{p['id']}()" in make


def compile_grc(path, out):
    env = dict(os.environ, GRC_BLOCKS_PATH=BLOCKS_PATH)
    r = subprocess.run(["grcc", "-o", str(out), path], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    py = os.path.join(out, os.path.splitext(os.path.basename(path))[0] + ".py")
    assert os.path.isfile(py)
    return py


@pytest.mark.parametrize("path", GRCS, ids=os.path.basename)
def test_examples_compile(path, tmp_path):
    compile_grc(path, tmp_path)


@pytest.mark.parametrize("name", ["loopback_deepjscc", "loopback_deepjscc_pdu", "loopback_ofdm_deepjscc",
                                  "loopback_ofdm_jpeg2000_ldpc"])
def test_compiled_loopback_runs_headless(name, tmp_path):
    py = compile_grc(os.path.join(ROOT, "examples", name + ".grc"), tmp_path)
    spec = importlib.util.spec_from_file_location(name, py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    image = os.path.join(EXAMPLE_IMAGES, "kodim23.png")
    tb = getattr(mod, name)(images=image, snr_db=10, out_dir=str(tmp_path / "rx"), seed=3)
    tb.start()
    try:
        assert tb.sink.wait(1, 60), "no image came out of the compiled flowgraph"
    finally:
        tb.stop()
        tb.wait()
    r = tb.sink.results()[0]
    assert r["psnr_db"] > 20 and os.path.isfile(r["png"])


QT_EXAMPLES = ["tx_usrp", "rx_usrp", "tx_hackrf", "rx_hackrf"]


@pytest.fixture(scope="module")
def qapp():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt5 import Qt
    app = Qt.QApplication.instance() or Qt.QApplication([])
    yield app


@pytest.mark.parametrize("name", QT_EXAMPLES)
def test_qt_examples_run_offscreen(name, tmp_path, monkeypatch, qapp):
    """Each Qt GUI example compiles and runs for a few seconds under Qt's offscreen platform with
    its widgets (spectrum, constellation, image view) built and updating. Only the radio blocks
    (gr-uhd / gr-soapy) are stand-ins (tests/radio_mocks.py): the transmitters' bursts reach the
    stand-in sink, and the receivers decode the image the stand-in source plays back."""
    import time
    import numpy as np
    import radio_mocks
    image = os.path.join(EXAMPLE_IMAGES, "kodim23.png")
    recording = None
    if name.startswith("rx"):  # what a radio would hear: one transmission of the image
        from gnuradio import blocks, gr
        from gnuradio.jscc.link.codec_ofdm import deepjscc_ofdm_tx
        tb = gr.top_block()
        src, tx, snk = jscc.image_source(image), deepjscc_ofdm_tx(amplitude=0.25), blocks.vector_sink_c()
        tb.msg_connect(src, "out", tx, "in")
        tb.connect(tx, snk)
        tb.start()
        t0 = time.time()
        while not tx.progress(1)["done"] and time.time() - t0 < 60:
            time.sleep(0.05)
        tb.stop()
        tb.wait()
        recording = np.r_[np.zeros(4096, np.complex64), np.asarray(snk.data(), np.complex64)]
    made = radio_mocks.install(monkeypatch, recording)
    py = compile_grc(os.path.join(ROOT, "examples", name + ".grc"), tmp_path)
    spec = importlib.util.spec_from_file_location(name, py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    kw = dict(images=image) if name.startswith("tx") else dict(reference=image, out_dir=str(tmp_path / "rx"))
    tb = getattr(mod, name)(**kw)
    tb.show()
    tb.start()
    try:
        t0 = time.time()
        while time.time() - t0 < 60:
            qapp.processEvents()
            time.sleep(0.02)
            if name.startswith("tx") and made[0].n > 300_000 and time.time() - t0 > 3:
                break
            if name.startswith("rx") and tb.sink.results():
                break
    finally:
        tb.stop()
        tb.wait()
        tb.close()
    (radio,) = made
    if name.startswith("tx"):
        assert radio.n > 300_000  # an image's frames reached the radio
        if name == "tx_usrp":
            assert sum(k == "tx_sob" for _, k, _ in radio.tags) >= 32  # burst mode
    else:
        r = tb.sink.results()
        assert r and r[0]["psnr_db"] > 30 and tb.view.shown() >= 1


def test_grc_starts_with_the_modules_blocks(tmp_path):
    """GNU Radio Companion starts under a virtual display with the module's blocks on its path and
    opens an example (on a fresh Debian 12 it failed: 'Namespace Gtk not available')."""
    import shutil
    import signal
    import time
    xvfb = shutil.which("xvfb-run")
    grc = os.path.join(sys.prefix, "bin", "gnuradio-companion")
    if xvfb is None:
        pytest.skip("no xvfb-run: a display server cannot exist here (make setup installs xvfb)")
    assert os.access(grc, os.X_OK), f"{grc} missing: make setup writes it"
    env = dict(os.environ, HOME=str(tmp_path))  # GRC keeps its preferences in ~/.gnuradio
    log = tmp_path / "grc.log"
    # its own session, output to a file: xvfb-run's children (Xvfb, GRC) are ended with it and
    # cannot hold a pipe open after it is gone
    with open(log, "w") as f:
        p = subprocess.Popen([xvfb, "-a", grc, os.path.join(ROOT, "examples", "loopback_ofdm_jpeg2000_ldpc.grc")],
                             stdout=f, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        t0 = time.time()
        while time.time() - t0 < 60 and p.poll() is None and ">>> Done" not in log.read_text():
            time.sleep(0.5)
        time.sleep(3)  # opened: it must stay up (a missing Gtk namespace ends it at once)
        alive = p.poll() is None
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):  # the whole group: xvfb-run, Xvfb, GRC
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                break
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    out = log.read_text()
    assert alive, out
    assert "Namespace Gtk" not in out and "Traceback" not in out, out
    assert BLOCKS_PATH in out and ">>> Done" in out, out
