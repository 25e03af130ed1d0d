"""The OFDM apps: loopback --phy ofdm, the three-process ZMQ link, radios that are not there."""
import os
import re
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import APPS, DEFAULT_MODEL, EXAMPLE_IMAGES, ROOT, run_app


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mean_psnr(text):
    m = re.search(r"mean PSNR: (\d+\.\d\d) dB", text)
    assert m, text
    return float(m.group(1))


def test_loopback_ofdm_close_to_direct_symbols(tmp_path):
    """Deep JSCC through the full OFDM chain (CFO, timing offset) at AWGN 10 dB stays within 0.5 dB
    of the direct symbol path on the sample images."""
    common = ["--images", EXAMPLE_IMAGES, "--model", DEFAULT_MODEL, "--channel", "awgn", "--snr", "10"]
    r = run_app("loopback.py", *common, "--phy", "ofdm", "--cfo", "0.31", "--delay", "123", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    d = run_app("loopback.py", *common, "--out", tmp_path / "d")
    assert d.returncode == 0, d.stderr
    assert abs(mean_psnr(r.stdout) - mean_psnr(d.stdout)) < 0.5, (r.stdout, d.stdout)
    assert "'lost_fragments': 0" in r.stdout and sorted(os.listdir(tmp_path / "o" / "snr_10dB"))[:2] == \
        ["0000_kodim05.png", "0001_kodim23.png"]


def test_loopback_ofdm_multipath_degrades_gracefully(tmp_path):
    r = run_app("loopback.py", "--images", EXAMPLE_IMAGES, "--channel", "multipath", "--snr", "15", "--phy", "ofdm",
                "--equalizer", "mmse", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert mean_psnr(r.stdout) > 20


def test_three_process_zmq_link(tmp_path):
    """rx_image.py, then channel_sim.py, then tx_image.py, as separate processes over ZMQ: every image
    arrives, none is lost to start-up order."""
    a, b = free_port(), free_port()
    py = sys.executable
    rx = subprocess.Popen([py, os.path.join(APPS, "rx_image.py"), "--zmq", f"tcp://127.0.0.1:{b}", "--model",
                           DEFAULT_MODEL, "--out", str(tmp_path), "--reference", EXAMPLE_IMAGES, "--expect", "2",
                           "--timeout", "120"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.0)
    ch = subprocess.Popen([py, os.path.join(APPS, "channel_sim.py"), "--in", f"tcp://127.0.0.1:{a}", "--out",
                           f"tcp://127.0.0.1:{b}", "--channel", "awgn", "--snr", "15", "--cfo", "0.2"], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.0)
    try:
        tx = run_app("tx_image.py", "--zmq", f"tcp://127.0.0.1:{a}", "--images", EXAMPLE_IMAGES, "--model",
                     DEFAULT_MODEL, timeout=120)
        assert tx.returncode == 0, tx.stderr
        assert "sent 2 images in 128 frames" in tx.stdout
        out, _ = rx.communicate(timeout=150)
    finally:
        ch.terminate()
        ch.wait(10)
        rx.kill()
    assert rx.returncode == 0, out
    assert "received 2/2 images" in out and mean_psnr(out) > 28, out
    assert "'lost_fragments': 0" in out and "'header_crc_fail': 0" in out
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".png")) == ["0000_kodim05.png", "0001_kodim23.png"]


def test_iq_file_record_and_replay(tmp_path):
    iq = tmp_path / "tx.c64"
    tx = run_app("tx_image.py", "--file", iq, "--image", os.path.join(EXAMPLE_IMAGES, "kodim23.png"))
    assert tx.returncode == 0, tx.stderr
    x = np.fromfile(iq, np.complex64)
    assert x.size > 100000 and abs(np.mean(np.abs(x[np.abs(x) > 0]) ** 2) - 1) < 0.1
    rx = run_app("rx_image.py", "--file", iq, "--out", tmp_path / "rx", "--reference",
                 os.path.join(EXAMPLE_IMAGES, "kodim23.png"), "--expect", "1", "--timeout", "60")
    assert rx.returncode == 0, rx.stdout + rx.stderr
    assert mean_psnr(rx.stdout) > 35  # noiseless


@pytest.mark.parametrize("app, flag, device", [("tx_image.py", "--usrp", "USRP"), ("tx_image.py", "--hackrf", "HackRF"),
                                               ("rx_image.py", "--usrp", "USRP"), ("rx_image.py", "--hackrf", "HackRF")])
def test_missing_radio_fails_fast_with_a_clear_message(tmp_path, app, flag, device):
    """No radio is attached on the test machines: that is the case tested here (real hardware
    cannot be part of CI)."""
    args = [flag, "--args", "serial=none"] + (["--image", os.path.join(EXAMPLE_IMAGES, "kodim23.png")]
                                              if app == "tx_image.py" else ["--out", tmp_path])
    t0 = time.monotonic()
    r = run_app(app, *args, timeout=30)
    assert time.monotonic() - t0 < 5.0
    assert r.returncode != 0
    assert device in r.stderr and "serial=none" in r.stderr, r.stderr
