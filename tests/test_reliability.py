"""Issue 12: nothing lost silently. One test (or more) per defect class; each failed on the code
before the fix (see the commit that added it)."""
import os

import numpy as np
import pmt
import pytest
from conftest import EXAMPLE_IMAGES, run_msgs

from gnuradio import jscc
from gnuradio.jscc import meta as M
from gnuradio.jscc.pmtio import to_pmt

KODIM23 = os.path.join(EXAMPLE_IMAGES, "kodim23.png")


def image_msg(img, **meta):
    return M.image_pdu(img, M.with_entries(pmt.make_dict(), **meta))


def raw_msg(data, **meta):
    """A PDU with any metadata values (no checks): what a fuzzer or a broken peer sends."""
    md = pmt.make_dict()
    for k, v in meta.items():
        md = pmt.dict_add(md, pmt.intern(k), v if isinstance(v, pmt.pmt_base) else pmt.to_pmt(v))
    return pmt.cons(md, data if isinstance(data, pmt.pmt_base) else to_pmt(data))


# --- 6: an exception in a message handler must not kill the block ---------------------------

BAD_META = [dict(image_id=1.5), dict(image_id=float("nan")), dict(image_id=float("inf")), dict(image_id="x"),
            dict(frag_count=10 ** 12, frag_idx=0, image_id=1), dict(frag_count=2, frag_idx=-1, image_id=1),
            dict(file=17, height=4, width=4), dict(file=pmt.PMT_T, height=4, width=4), dict(snr_db="loud"),
            dict(snr_db=float("nan")), dict(height=-3, width=4), dict(height=2 ** 40, width=2 ** 40),
            dict(chunk=3, chunk_count=2), dict(lost_fragments="many"), dict(frame_type=1, bits_per_symbol=3)]


def nasty_messages(payload):
    junk = [pmt.intern("junk"), pmt.PMT_NIL, pmt.cons(pmt.PMT_T, pmt.PMT_F), pmt.cons(pmt.make_dict(), pmt.intern("x")),
            pmt.cons(pmt.intern("not a dict"), to_pmt(payload))]
    return junk + [raw_msg(payload, **m) for m in BAD_META]


def img4():
    return np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)


@pytest.mark.parametrize("name", ["image_sink", "image_view", "qam_mapper", "pdu_to_stream", "codec_decode_pdu",
                                  "chunk_reassembler", "chunk_fec_decoder", "codec_encode_pdu", "slot_scheduler",
                                  "csi_tap"])
def test_message_blocks_survive_bad_messages_and_count_them(name, tmp_path):
    """Every message block keeps serving after malformed input, and counts it (before the
    shared skeleton, non-integer ids, NaN ids, a huge frag_count or a non-string file name raised
    in the handler and every later message was ignored)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sym = (np.ones(48) * (1 + 1j)).astype(np.complex64)
    if name == "image_sink":
        blk, good, port = jscc.image_sink(str(tmp_path)), image_msg(img4(), image_id=3, file="a.png"), None
        processed = lambda: blk.stats()["images"]  # noqa: E731
    elif name == "image_view":
        from PyQt5 import QtWidgets
        global _QAPP  # the application must outlive the widget
        _QAPP = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
        blk, good, port = jscc.image_view(), image_msg(img4(), image_id=3), None
        processed = blk.shown
    elif name == "qam_mapper":
        blk, good, port = jscc.qam_mapper(2), raw_msg(np.arange(8, dtype=np.uint8)), "out"
        processed = lambda: blk.stats()["mapped"]  # noqa: E731
    elif name == "pdu_to_stream":
        blk, good, port = jscc.pdu_to_stream(), raw_msg(sym, image_id=1), None
        processed = lambda: blk.stats()["queued"]  # noqa: E731
    elif name == "codec_decode_pdu":
        from gnuradio.jscc.codecs import DeepJSCC
        s = DeepJSCC("deepjscc-kn6-awgn-10db").encode(np.zeros((8, 8, 3), np.uint8))[0].data
        blk, good, port = jscc.codec_decode_pdu(timeout=0.2), raw_msg(s, image_id=5, height=8, width=8), "out"
        processed = lambda: blk.stats()["decoded"]  # noqa: E731
    elif name == "chunk_reassembler":
        blk, good, port = jscc.chunk_reassembler(48), raw_msg(sym, image_id=1, frag_idx=0, frag_count=1), "out"
        processed = lambda: blk.stats()["complete"]  # noqa: E731
    elif name == "chunk_fec_decoder":
        blk, good, port = jscc.chunk_fec_decoder(1), raw_msg(sym, frame_type=0), "out"
        processed = lambda: blk.stats()["passed"]  # noqa: E731
    elif name == "slot_scheduler":
        blk, good, port = jscc.slot_scheduler("all"), raw_msg(sym, image_id=1, chunk=0, chunk_count=1), None
        processed = lambda: blk.stats()["images"]  # noqa: E731
    elif name == "csi_tap":
        blk, good, port = jscc.csi_tap(), raw_msg(sym, image_id=1, snr_db=12.0), None
        processed = lambda: blk.stats()["csi"]  # noqa: E731
    else:
        blk = jscc.codec_encode_pdu("deepjscc-kn6-awgn-10db")
        good, port = image_msg(np.zeros((8, 8, 3), np.uint8), image_id=2), "out"
        processed = blk.encoded
    payload = img4().ravel() if name in ("image_sink", "image_view", "codec_encode_pdu", "qam_mapper") else sym
    msgs = nasty_messages(payload) + [good]
    in_port = "pdus" if name == "pdu_to_stream" else "in"
    run_msgs([blk], msgs, 1, in_port=in_port, out_port=port or "out", timeout=5) if port else \
        _run_sinkish(blk, msgs, in_port, processed)
    st = blk.stats()
    assert processed() >= 1, st
    assert st["received"] == len(msgs), st
    assert st["dropped"] + st["errors"] >= 4, st  # the four non-PDUs at least, each counted


def _run_sinkish(blk, msgs, in_port, processed):
    from gnuradio import blocks, gr
    from conftest import wait_for
    tb = gr.top_block()
    if blk.to_basic_block().output_signature().max_streams():
        tb.other = blocks.null_sink(gr.sizeof_gr_complex)
        tb.connect(blk, tb.other)
    else:
        tb.other = jscc.qam_mapper(2)  # a flowgraph needs one connection (kept alive with tb)
        tb.msg_connect(tb.other, "out", blk, in_port)
    tb.start()
    try:
        for m in msgs:
            blk._post(pmt.intern(in_port), m)
        wait_for(lambda: blk.stats()["received"] >= len(msgs), 10)
    finally:
        tb.stop()
        tb.wait()


def test_image_source_survives_a_failing_read(tmp_path, monkeypatch):
    """An unexpected exception reading one file (not just an ImageError) skips that file only."""
    from gnuradio.jscc.blocks import image_source as src_mod
    real = src_mod.load_rgb
    monkeypatch.setattr(src_mod, "load_rgb", lambda p: (_ for _ in ()).throw(MemoryError("boom"))
                        if p.endswith("kodim05.png") else real(p))
    src = jscc.image_source(EXAMPLE_IMAGES)
    out = run_msgs(src, [], 1)
    assert len(out) == 1 and src.sent() == 1 and len(src.skipped()) == 1 and src.done()


# --- 8: one listing rule for sender and receiver ---------------------------------------------

def test_sender_and_receiver_list_a_folder_alike(tmp_path):
    """An image in a sub-folder must not shift the receiver's names (it listed recursively, the
    sender one level: PSNR against the wrong reference)."""
    from PIL import Image
    from gnuradio.jscc.blocks.image_source import file_names
    for name in ("b.png", "d.png"):
        Image.new("RGB", (8, 8)).save(tmp_path / name)
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "sub" / "a.png")
    assert [os.path.basename(p) for p in jscc.image_source(str(tmp_path)).paths] == ["b.png", "d.png"]
    assert file_names(str(tmp_path)) == ["b.png", "d.png"]
    r = jscc.chunk_reassembler(48, names=str(tmp_path))
    assert r.names == ["b.png", "d.png"]
    # rx_image --reference DIR end to end: tests/test_ofdm_apps.py::test_iq_file_record_and_replay


# --- 9: high bit depth -----------------------------------------------------------------------

def test_16_bit_greyscale_is_scaled_not_clipped(tmp_path):
    from PIL import Image
    from gnuradio.jscc.imageio import load_rgb
    ramp = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)  # 0 .. 65520
    Image.fromarray(ramp).save(tmp_path / "g16.png")
    img = load_rgb(str(tmp_path / "g16.png"))
    assert img.shape == (64, 64, 3)
    assert np.abs(img[..., 0].astype(int) - np.round(ramp / 257)).max() <= 1  # full range, not 99.8 % white
    assert (img == 255).mean() < 0.01
    Image.fromarray(ramp).save(tmp_path / "g16.tif")
    assert np.abs(load_rgb(str(tmp_path / "g16.tif")).astype(int) - img.astype(int)).max() <= 1


def test_a_size_the_symbols_cannot_stand_for_is_refused_not_decoded():
    """A corrupt header that passes its CRC can claim a huge image (or chunk) for a few symbols:
    the decoder refuses it by counts (it once decoded a 2000x2000 image from 48 symbols, seconds
    and hundreds of MB each), and the reassembler does not zero-fill 60000 fragments of nothing."""
    sym = (np.ones(48) * (1 + 1j) / np.sqrt(2)).astype(np.complex64)
    dec = jscc.codec_decode_pdu(timeout=60)
    dec._guard("in", raw_msg(sym, image_id=1, height=2000, width=2000))
    dec.flush()
    st = dec.stats()
    assert st["decoded"] == 0 and st["inconsistent"] == 1 and st["dropped"] == 1 and not dec.pending(), st
    ra = jscc.chunk_reassembler(48, 60)
    ra._guard("in", raw_msg(sym, image_id=1, frag_idx=0, frag_count=60000))
    ra.flush()
    st = ra.stats()
    assert st["chunks"] == 0 and st["inconsistent"] == 1 and st["lost_fragments"] == 59999 and not ra.pending(), st


# --- 5: a completed image id is not re-opened ------------------------------------------------

def test_redelivered_image_is_not_reopened_and_missing_ids_are_counted(tmp_path):
    """After a channel restart the frames of a decoded image come again: the decoder drops them
    (counted) instead of decoding a second, emptier copy; ids never seen are counted as lost."""
    from gnuradio.jscc.codecs import DeepJSCC
    s = DeepJSCC("deepjscc-kn6-awgn-10db").encode(np.full((8, 8, 3), 99, np.uint8))[0].data
    dec = jscc.codec_decode_pdu(timeout=0.2)
    msgs = [raw_msg(s, image_id=1, height=8, width=8), raw_msg(s * 0, image_id=1, height=8, width=8, lost_fragments=1),
            raw_msg(s, image_id=4, height=8, width=8)]
    out = run_msgs([dec], msgs, 2)
    assert [M.to_dict(pmt.car(m))["image_id"] for m in out] == [1, 4]
    st = dec.stats()
    assert st["redelivered"] == 1 and st["missing_images"] == 2 and st["decoded"] == 2


def test_sink_never_replaces_a_good_copy_with_a_worse_one(tmp_path):
    sink = jscc.image_sink(str(tmp_path), KODIM23)
    from gnuradio.jscc.imageio import load_rgb
    good = load_rgb(KODIM23)
    msgs = [image_msg(good, image_id=0, file="kodim23.png"),
            image_msg(np.zeros_like(good), image_id=0, file="kodim23.png", lost_fragments=60),
            image_msg(good[:8, :8], image_id=1, file="kodim23.png")]
    run_msgs(sink, msgs, 2, out_port="metrics")
    r = sink.results()
    assert [x["image_id"] for x in r] == [0, 1] and r[0]["psnr_db"] > 90
    assert np.array_equal(load_rgb(r[0]["png"]), good)
    assert sink.stats()["duplicates"] == 1 and sink.stats()["replaced"] == 0


def test_sink_holds_only_a_few_references(tmp_path):
    """References are loaded on demand (the sink kept every one: memory grew with the folder)."""
    from PIL import Image
    from gnuradio.jscc.blocks.image_sink import REFERENCE_CACHE
    for i in range(REFERENCE_CACHE + 6):
        Image.new("RGB", (16, 16), (i, i, i)).save(tmp_path / f"{i:02d}.png")
    sink = jscc.image_sink("", str(tmp_path), False)
    msgs = [image_msg(np.full((16, 16, 3), i, np.uint8), image_id=i, file=f"{i:02d}.png")
            for i in range(REFERENCE_CACHE + 6)]
    run_msgs(sink, msgs, len(msgs), out_port="metrics")
    assert len(sink.results()) == len(msgs) and all(r["psnr_db"] > 90 for r in sink.results())
    assert len(sink._refs) <= REFERENCE_CACHE


# --- 3: bad samples are erasures ---------------------------------------------------------------

def _three_frames():
    from gnuradio.jscc.phy import phy_eval
    from gnuradio.jscc.phy.ofdm import OfdmParams
    p = OfdmParams()
    frames, payload = phy_eval.make_frames(3, p, seed=1)
    x, _ = phy_eval.impair(frames, 25.0, p, 0.2, seed=2, max_delay=0)
    return p, payload, x, 3 * p.fft_len + frames[0].size + 16  # frame 1 starts there (impair pads 16)


def _per_symbol_snr(x, p, payload):
    from gnuradio.jscc.phy import phy_eval
    y, tags, st = phy_eval.receive(x, p)
    by_off = {}
    for t in tags:
        by_off.setdefault(t.offset, {})[pmt.symbol_to_string(t.key)] = pmt.to_python(t.value)
    out = {}
    for off, d in by_off.items():
        if "packet_len" in d and d["packet_len"] == payload.shape[1]:
            err = np.abs(y[off:off + payload.shape[1]] - payload[d["image_id"]]).reshape(-1, p.n_data) ** 2
            out[d["image_id"]] = 10 * np.log10(1 / np.maximum(err.mean(axis=1), 1e-12))  # per OFDM symbol
    return out, st


@pytest.mark.parametrize("value", [np.nan, np.inf, 1e30, 1e4])
@pytest.mark.parametrize("where", ["preamble", "header", "payload", "pilot"])
def test_one_bad_sample_costs_only_its_own_symbol(value, where):
    """One NaN/inf/huge sample in a frame's preamble, header or payload (next to a pilot or not):
    the frame is delivered, the bad sample is counted, every other OFDM symbol of the frame is
    as good as without it (before: a NaN in the payload zeroed the rest of the frame through the
    pilot loop, one in the preamble cost the whole frame, 1e30 went through the equaliser)."""
    p, payload, x, f1 = _three_frames()
    clean, _ = _per_symbol_snr(x, p, payload)
    N, cp, H = p.fft_len, p.cp_len, 7
    at = {"preamble": cp + 10, "header": 2 * N + cp + (N + cp) + cp + 30,
          "payload": 2 * N + cp + H * (N + cp) + 5 * (N + cp) + cp + 30,
          "pilot": 2 * N + cp + H * (N + cp) + 40 * (N + cp) + cp + 5}[where]
    x = x.copy()
    x[f1 + at] = value
    got, st = _per_symbol_snr(x, p, payload)
    assert sorted(got) == [0, 1, 2], st
    assert st["bad_samples"] >= 1 and st["nonfinite"] == 0
    damaged = (at - (2 * N + cp + H * (N + cp))) // (N + cp) if where in ("payload", "pilot") else -1
    keep = [i for i in range(len(got[1])) if i != damaged]
    # every other symbol as good as before (within estimation noise); the hit one degrades a little
    assert np.all(got[1][keep] > clean[1][keep] - 1.0), (got[1] - clean[1])
    assert np.mean(got[1][keep]) > np.mean(clean[1][keep]) - 0.2
    if damaged >= 0:
        assert got[1][damaged] > 10
    assert np.allclose(got[0], clean[0]) and np.allclose(got[2], clean[2])


def test_a_burst_of_bad_samples_is_contained_to_its_symbols():
    p, payload, x, f1 = _three_frames()
    N, cp = p.fft_len, p.cp_len
    first = 2 * N + cp + 7 * (N + cp) + 5 * (N + cp)  # payload symbol 5, CP included
    x = x.copy()
    x[f1 + first:f1 + first + N + cp] = np.nan
    got, st = _per_symbol_snr(x, p, payload)
    clean, _ = _per_symbol_snr(_three_frames()[2], p, payload)
    keep = [i for i in range(len(got[1])) if i != 5]
    assert st["bad_samples"] >= N and np.all(got[1][keep] > clean[1][keep] - 1.0)


# --- burst tags for real radios ----------------------------------------------------------------

@pytest.mark.parametrize("burst", [True, False])
def test_burst_tags_on_the_first_and_last_sample_of_each_frame(burst):
    """Burst mode: tx_sob on the first sample of every frame's burst (the first burst includes the
    lead-in silence), tx_eob on its last, burst_len = its length; the bursts tile the stream. The
    samples are the same as in continuous mode, which carries no burst tags."""
    from gnuradio import blocks, gr
    from gnuradio.jscc.phy import phy_eval
    from gnuradio.jscc.phy.ofdm import OfdmParams, ofdm_tx
    p = OfdmParams()
    outs = {}
    for mode in (burst, not burst):
        data, tags = phy_eval.packets(2, p.max_payload + 100, seed=3)  # 2 packets of 2 frames each
        tb = gr.top_block()
        tx = ofdm_tx(*p.args(), burst=mode)
        snk = blocks.vector_sink_c()
        tb.connect(blocks.vector_source_c(data.ravel(), False, 1, tags), tx, snk)
        tb.run()
        outs[mode] = (np.asarray(snk.data()), snk.tags(), tx)
    x, tags, tx = outs[burst]
    assert np.array_equal(x, outs[not burst][0])
    by = {}
    for t in tags:
        by.setdefault(pmt.symbol_to_string(t.key), []).append((t.offset, pmt.to_python(t.value)))
    if not burst:
        assert "tx_sob" not in by and "tx_eob" not in by and "burst_len" not in by
        return
    sob, eob, lens = ([o for o, _ in by[k]] for k in ("tx_sob", "tx_eob", "burst_len"))
    assert len(sob) == len(eob) == 4 and sob == lens and all(v is True for _, v in by["tx_sob"] + by["tx_eob"])
    assert sob[0] == 0 and eob[-1] == x.size - 1
    assert all(sob[k + 1] == eob[k] + 1 for k in range(3))  # bursts tile the stream
    assert [v for _, v in by["burst_len"]] == [e - s + 1 for s, e in zip(sob, eob)]
    frames = [o for o, _ in by["frame_start"]]
    assert frames[0] == tx.mod.lead_in() and sob[1:] == frames[1:]
    assert np.all(x[eob[0] - 63:eob[0] + 1] == 0) and np.any(x[sob[1]:sob[1] + 16] != 0)  # the gap ends a burst


# --- apps, in process (fast): argument checks, one-line errors, exit codes -----------------------

def app_main(name, *argv):
    """Run apps/<name>.main(argv) in this process -> (exit code, stdout, stderr)."""
    import contextlib
    import importlib.util
    import io
    import signal
    from conftest import APPS
    spec = importlib.util.spec_from_file_location(f"app_{name}", os.path.join(APPS, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out, err = io.StringIO(), io.StringIO()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = mod.main([str(a) for a in argv])
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
                if not isinstance(e.code, int) and e.code is not None:
                    print(e.code, file=err)
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    return rc or 0, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("app, args, what", [
    ("rx_image", ["--file", "x.c64", "--image-timeout", "0"], "--image-timeout"),
    ("rx_image", ["--file", "x.c64", "--expect", "-1"], "--expect"),
    ("rx_image", ["--file", "x.c64", "--timeout", "0"], "--timeout"),
    ("rx_image", ["--file", "x.c64", "--threshold", "1.5"], "--threshold"),
    ("tx_image", ["--file", "x.c64", "--image", KODIM23, "--interval", "-1"], "--interval"),
    ("tx_image", ["--file", "x.c64", "--image", KODIM23, "--timeout", "nan"], "--timeout"),
    ("tx_image", ["--file", "x.c64", "--image", KODIM23, "--fft-len", "60"], "--fft-len"),
    ("loopback", ["--image", KODIM23, "--delay", "-5"], "--delay"),
    ("loopback", ["--image", KODIM23, "--snr"], "--snr"),
    ("loopback", ["--image", KODIM23, "--snr", "inf"], "--snr"),
    ("loopback", ["--image", KODIM23, "--seed", "0"], "--seed"),
    ("loopback", ["--image", KODIM23, "--timeout", "-3"], "--timeout"),
    ("channel_sim", ["--in", "tcp://127.0.0.1:1", "--out", "tcp://127.0.0.1:2", "--duration", "0"], "--duration"),
    ("channel_sim", ["--in", "tcp://127.0.0.1:1", "--out", "tcp://127.0.0.1:2", "--timing", "1.0"], "--timing"),
])
def test_numeric_arguments_are_validated(app, args, what):
    """Every numeric option is checked by one shared set of argparse types: a usage error naming
    the option (before: --image-timeout 0 split every image and spun a core, --expect -1 never
    ended, --timeout 0 meant 0 s in one app and 'never' in another)."""
    rc, out, err = app_main(app, *args)
    assert rc == 2 and what in err and "Traceback" not in err, err


@pytest.mark.parametrize("case", ["empty_iq", "iq_in_missing_folder", "unwritable_out", "bad_zmq", "port_in_use",
                                  "missing_images", "missing_reference"])
def test_failures_to_open_are_one_line_errors(case, tmp_path):
    """A clear one-line error and a non-zero exit, never a traceback."""
    import socket
    if case == "empty_iq":
        (tmp_path / "e.c64").write_bytes(b"")
        rc, out, err = app_main("rx_image", "--file", tmp_path / "e.c64", "--out", tmp_path / "rx")
        want = "empty"
    elif case == "iq_in_missing_folder":
        rc, out, err = app_main("tx_image", "--file", tmp_path / "nope" / "x.c64", "--image", KODIM23)
        want = "does not exist"
    elif case == "unwritable_out":
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        if os.access(str(ro), os.W_OK):  # root ignores permissions: a file where the folder should be
            (tmp_path / "file").write_text("x")
            ro = tmp_path / "file"
        (tmp_path / "x.c64").write_bytes(b"\0" * 800)
        rc, out, err = app_main("rx_image", "--file", tmp_path / "x.c64", "--out", ro / "rx")
        want = "cannot write"
    elif case == "bad_zmq":
        rc, out, err = app_main("rx_image", "--zmq", "localhost:5", "--out", tmp_path / "rx")
        want = "ZMQ address"
    elif case == "port_in_use":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            rc, out, err = app_main("tx_image", "--zmq", f"tcp://127.0.0.1:{s.getsockname()[1]}", "--image", KODIM23)
        want = "in use"
    elif case == "missing_images":
        rc, out, err = app_main("loopback", "--images", tmp_path / "nonexistent", "--out", tmp_path / "o")
        want = "nonexistent: no such file or folder"
    else:
        rc, out, err = app_main("rx_image", "--file", "x.c64", "--reference", tmp_path / "nonexistent")
        want = "--reference"
    assert rc != 0 and "Traceback" not in err, err
    assert want in err and "error" in err, err
    if case == "missing_images":
        assert "reference" not in err  # it used to blame the reference


def test_loopback_exit_status_and_sent_counts(tmp_path):
    """Exit 0 only when every image given arrived: an unreadable file fails the run (before: exit 0)."""
    import shutil
    shutil.copy(KODIM23, tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"not a png")
    rc, out, err = app_main("loopback", "--images", tmp_path, "--snr", "10", "--out", tmp_path / "o", "--no-ssim")
    assert rc == 1 and "1 of 2 images arrived" in err and "1 unreadable" in err, (out, err)
    os.remove(tmp_path / "b.png")
    rc, out, err = app_main("loopback", "--images", tmp_path, "--snr", "10", "--out", tmp_path / "o", "--no-ssim")
    assert rc == 0, err


def test_compare_pictures_of_same_stem_do_not_collide(tmp_path):
    from PIL import Image
    img = (np.random.default_rng(0).integers(0, 255, (32, 48, 3))).astype(np.uint8)
    Image.fromarray(img).save(tmp_path / "photo.png")
    Image.fromarray(img).save(tmp_path / "photo.jpg", quality=95)
    rc, out, err = app_main("loopback", "--images", tmp_path, "--snr", "10", "--out", tmp_path / "o", "--no-ssim")
    assert rc == 0, err
    assert {"compare_photo_png.png", "compare_photo_jpg.png"} <= set(os.listdir(tmp_path / "o"))


def test_direct_path_decoder_drops_another_models_chunks():
    """The direct (stream) path carries the model tag: a decoder of another model counts the chunk
    as inconsistent and decodes nothing from it."""
    from gnuradio import gr
    from conftest import wait_for
    tb = gr.top_block()
    src = jscc.image_source(KODIM23)
    enc = jscc.codec_encoder("deepjscc-kn6-awgn-10db")
    dec = jscc.codec_decoder("deepjscc-kn12-awgn-10db")
    sink = jscc.image_sink()
    tb.msg_connect(src, "out", enc, "in")
    tb.connect(enc, jscc.awgn_cc(20.0, 1.0, 1), dec)
    tb.msg_connect(dec, "out", sink, "in")
    tb.start()
    try:
        wait_for(lambda: dec.decode.stat("received") >= 1, 60)
    finally:
        tb.stop()
        tb.wait()
    assert dec.stats()["inconsistent"] == 1 and dec.stats()["decoded"] == 0 and not sink.results()


# --- 4: ZMQ keeps the tail until a peer takes it -----------------------------------------------

def test_zmq_sink_keeps_its_tail_until_a_slow_peer_has_it():
    """The transmitter's ZMQ sink queues only a few messages and, after the flowgraph stopped,
    waits until the peer took them all (gr-zeromq's push sink dropped its queue one second after
    stopping: the tail of a transmission whose receiver was slow or late). A peer that connects
    late and reads slowly still gets every sample."""
    import socket
    import threading
    import time
    import zmq
    from gnuradio import blocks, gr
    from gnuradio.jscc.phy import radio
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    addr = f"tcp://127.0.0.1:{port}"
    n = 3_000_000
    x = (np.arange(n) % 1000).astype(np.complex64)
    got = []

    def peer():
        time.sleep(1.0)  # connects late
        ctx = zmq.Context()
        sock = ctx.socket(zmq.PULL)
        sock.setsockopt(zmq.RCVHWM, 1)
        sock.connect(addr)
        total = 0
        while total < n:
            if not sock.poll(5000):
                break
            m = np.frombuffer(sock.recv(), np.complex64)
            got.append(m)
            total += m.size
            time.sleep(0.002)  # and reads slowly
        sock.close(0)
        ctx.term()

    th = threading.Thread(target=peer)
    th.start()
    tb = gr.top_block()
    snk = radio.sink("zmq", addr)
    tb.connect(blocks.vector_source_c(x), snk)
    tb.start()
    from conftest import wait_for
    wait_for(lambda: snk.nitems_read(0) >= n, 60)
    tb.stop()
    tb.wait()
    assert snk.close(60)  # returns once the peer has the last message
    th.join(60)
    y = np.concatenate(got)
    assert y.size == n and np.array_equal(y, x)


# --- the radio path with the radio blocks replaced (radio hardware cannot be part of CI) ----------

@pytest.mark.parametrize("flag", ["--usrp", "--hackrf"])
def test_radio_transmitter_sends_bursts_and_the_receiver_decodes_them(flag, monkeypatch, tmp_path):
    """tx_image to a radio: burst mode by default, tx_sob / tx_eob on the first and last sample of
    every frame's burst (gr-soapy is told the burst_len tag); rx_image from a radio that plays
    that transmission back decodes the image. Only the radio blocks are stand-ins (radio_mocks)."""
    import radio_mocks
    made = radio_mocks.install(monkeypatch)
    rc, out, err = app_main("tx_image", flag, "--image", KODIM23)
    assert rc == 0 and "sent 1 of 1 images in 64 frames" in out and "burst mode" in out, out + err
    (snk,) = made
    sob = [o for o, k, _ in snk.tags if k == "tx_sob"]
    eob = [o for o, k, _ in snk.tags if k == "tx_eob"]
    assert len(sob) == len(eob) == 64 and sob[0] == 0 and eob[-1] == snk.n - 1
    assert all(s == e + 1 for s, e in zip(sob[1:], eob[:-1]))
    if flag == "--hackrf":
        assert ("set_length_tag_name", "burst_len") in snk.calls
    recording = snk.samples()
    made = radio_mocks.install(monkeypatch, recording=np.r_[np.zeros(5000, np.complex64), recording])
    rc, out, err = app_main("rx_image", flag, "--out", tmp_path / "rx", "--reference", KODIM23, "--expect", "1",
                            "--timeout", "60", "--stats-every", "0")
    assert rc == 0 and "received 1/1 images" in out, out + err
    assert float(out.split("mean PSNR: ")[1].split()[0]) > 35


# --- 1: completion known with the Slot Scheduler in the transmitter --------------------------------

def test_scheduled_transmitter_knows_when_it_is_done():
    """With a scheduler policy the chunks wait in the Slot Scheduler; the transmitter is done once
    the scheduler has released every planned chunk and the modulator's ledger is on the air (the
    scheduler keeps an image queued until its last slot has passed: waiting for that never ended)."""
    from gnuradio.jscc.link.loopback import codec_ofdm_loopback
    tb = codec_ofdm_loopback([KODIM23, KODIM23], "deepjscc-kn6-awgn-10db", "awgn", 15, policy="all",
                             compute_ssim=False)
    results, secs = tb.run_images(timeout=30)
    assert len(results) == 2 and tb.complete() and tb.lost() == 0
    assert tb.tx.scheduler.stats()["chunks"] == 2 and tb.tx.scheduler.held() == 0
    assert secs < 20


# --- Soak: images sent / received / lost and RSS, in a bounded run ----------------------------------

def test_soak_reports_losses_and_memory(tmp_path):
    """apps/soak.py (>= 5000 images in its default run; a few here): both PHY paths, every image
    accounted, RSS at start / warm-up / end in the JSON; a lossy run and a memory limit it
    exceeds each end with exit status 1."""
    import json
    rc, out, err = app_main("soak", "--count", "6", "--warmup", "2", "--json", tmp_path / "s.json")
    assert rc == 0, out + err
    rows = json.loads((tmp_path / "s.json").read_text())["results"]
    assert [r["phy"] for r in rows] == ["direct", "ofdm"]
    for r in rows:
        assert r["sent"] == r["received"] == 6 and r["lost"] == 0 and r["warmup_reached"]
        assert set(r["rss_mb"]) == {"start", "warmup", "end"} and r["rss_mb"]["end"] > 0
    rc, out, err = app_main("soak", "--count", "2", "--phy", "ofdm", "--snr", "-30")
    assert rc == 1 and "ofdm: 2 of 2 images lost" in err, out + err
    rc, out, err = app_main("soak", "--count", "4", "--phy", "direct", "--warmup", "1", "--max-growth-mb", "0.0",
                            "--json", tmp_path / "g.json")
    (r,) = json.loads((tmp_path / "g.json").read_text())["results"]
    assert r["warmup_reached"], out
    grew = r["rss_growth_mb"]
    assert (rc == 1 and "RSS grew" in err) if grew > 0 else rc == 0, out + err
