"""The paper reproduction: the quick command writes the figures' JSON, a rerun computes nothing
(cache), and the same sweep runs on a local Ray cluster."""
import json
import os

import pytest
from conftest import EXAMPLE_IMAGES, run_app

from gnuradio.jscc import sweep


def test_quick_reproduction_writes_figure_json_and_caches(tmp_path):
    args = ["--quick", "--figs", "8", "--images", EXAMPLE_IMAGES, "--out", tmp_path]
    r = run_app("reproduce_paper.py", *args, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    fig = json.loads((tmp_path / "fig8.json").read_text())
    s = fig["schemes"]
    for key in ("deepjscc-kn6-awgn-10db", "jpeg-ldpc-best", "jpeg2000-ldpc-best", "jpeg2000-capacity", "jpeg-capacity"):
        assert key in s and [p["snr_db"] for p in s[key]] == [1, 4, 7, 10, 13, 19], key
        assert all(p["psnr_db"] > 10 and 0 < p["ssim"] <= 1 for p in s[key]), key
    assert all("mcs" in p for p in s["jpeg2000-ldpc-best"])
    # the envelope is the best of the 12 MCS curves at every SNR
    for i, p in enumerate(s["jpeg2000-ldpc-best"]):
        assert p["psnr_db"] == max(v[i]["psnr_db"] for k, v in s.items() if k.startswith("jpeg2000-ldpc-")
                                   and not k.endswith("best"))
    for ext in ("csv", "png"):
        assert (tmp_path / f"fig8.{ext}").stat().st_size > 1000
    table = (tmp_path / "fig8.md").read_text()  # the README's table, from the same numbers
    assert "| 1 dB | 4 dB |" in table and f"| jpeg2000-ldpc-best | {s['jpeg2000-ldpc-best'][0]['psnr_db']:.2f} |" in table
    lines = (tmp_path / "cache.jsonl").read_text().count("\n")
    r = run_app("reproduce_paper.py", *args, timeout=300)
    assert r.returncode == 0 and (tmp_path / "cache.jsonl").read_text().count("\n") == lines  # nothing recomputed
    # fig 10 alone takes each SNR's best MCS from the fig8.json already in --out (fig 8 not redone)
    fig8 = (tmp_path / "fig8.json").read_bytes()
    r = run_app("reproduce_paper.py", "--quick", "--figs", "10", "--images", EXAMPLE_IMAGES, "--out", tmp_path,
                timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (tmp_path / "fig8.json").read_bytes() == fig8
    assert (tmp_path / "cache.jsonl").read_text().count("\n") == lines
    rows = json.loads((tmp_path / "fig10.json").read_text())["rows"]
    best = {p["snr_db"]: p["mcs"] for p in s["jpeg2000-ldpc-best"]}
    assert [row["snr_db"] for row in rows] == [1, 4, 7, 13, 19]
    assert all(row["tiles"][2]["scheme"] == f"JPEG2000 {best[row['snr_db']]}" for row in rows)
    assert (tmp_path / "fig10.png").stat().st_size > 1000


def test_sweep_runs_the_same_on_ray(tmp_path):
    pytest.importorskip("ray", reason="ray is in requirements.txt; make test installs it")
    img = os.path.join(EXAMPLE_IMAGES, "kodim23.png")
    points = [sweep.Point("jpeg2000", "awgn", img, (0.0, 9.0), 1, 6, "qpsk-1/2", "ldpc"),
              sweep.Point("deepjscc-kn6-awgn-10db", "awgn", img, (5.0,), 2)]
    local = sweep.run(points, str(tmp_path / "a.jsonl"))
    on_ray = sweep.run(points, str(tmp_path / "b.jsonl"), ray_address="local")
    assert local == on_ray and len(local) == 2
    (q,) = [v for k, v in local.items() if "jpeg2000" in k]
    assert q[0]["failures"] == 1 and q[1]["failures"] == 0  # below and above the code's threshold
