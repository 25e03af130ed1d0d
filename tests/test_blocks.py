"""Python blocks in running flowgraphs: normal operation and damaged input, all counted."""
import os
import time

import numpy as np
import pmt
import pytest
from conftest import DEFAULT_MODEL, EXAMPLE_IMAGES, run_msgs, wait_for
from gnuradio import blocks, gr, jscc

from gnuradio.jscc import meta as M
from gnuradio.jscc.pmtio import to_numpy, to_pmt


def image_msg(img, **meta):
    return M.image_pdu(img, M.with_entries(pmt.make_dict(), **meta))


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.float32,
                                   np.float64, np.complex64, np.complex128])
def test_pmtio_round_trip(dtype):
    a = (np.arange(1000) * 3 - 7).astype(dtype)
    v = to_pmt(a)
    assert np.array_equal(to_numpy(v), a) and to_numpy(v).dtype == a.dtype
    # the same values as GNU Radio's own (slow) element access, both ways
    name = {np.uint8: "u8", np.int8: "s8", np.uint16: "u16", np.int16: "s16", np.uint32: "u32", np.int32: "s32",
            np.float32: "f32", np.float64: "f64", np.complex64: "c32", np.complex128: "c64"}[dtype]
    assert np.array_equal(np.array(getattr(pmt, f"{name}vector_elements")(v), dtype), a)
    native = getattr(pmt, f"init_{name}vector")(5, a[:5].tolist())
    assert np.array_equal(to_numpy(native), a[:5])
    assert to_numpy(to_pmt(a[:0])).size == 0 and pmt.length(to_pmt(a[:0])) == 0
    with pytest.raises(TypeError):
        to_numpy(pmt.intern("not a vector"))


def test_meta_to_dict_matches_gnuradio_conversion():
    """meta.to_dict takes uniform vectors by one copy; every value equals pmt.to_python's."""
    csi = np.linspace(0, 1, 20000, dtype=np.float32)
    meta = M.with_entries(pmt.make_dict(), image_id=3, file="a.png", snr_db=4.5, damaged=True, csi=to_pmt(csi),
                          iq=to_pmt(np.arange(4).astype(np.complex64)), tup=pmt.cons(pmt.intern("a"), pmt.from_long(2)))
    fast, slow = M.to_dict(meta), {str(k): v for k, v in pmt.to_python(meta).items()}
    assert fast.keys() == slow.keys()
    for k, v in slow.items():
        if isinstance(v, np.ndarray):
            assert fast[k].dtype == v.dtype and np.array_equal(fast[k], v), k
        else:
            assert type(fast[k]) is type(v) and fast[k] == v, k
    assert M.to_dict(pmt.PMT_NIL) == {} and M.to_dict(pmt.make_dict()) == {} and M.to_dict(pmt.intern("x")) == {}


def test_image_source_reads_and_skips_bad_files(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"garbage")
    files = [os.path.join(EXAMPLE_IMAGES, "kodim23.png"), str(tmp_path / "broken.png"),
             os.path.join(EXAMPLE_IMAGES, "kodim05.png")]
    src = jscc.image_source(files)
    msgs = run_msgs(src, [], 2)
    assert src.sent() == 2 and src.skipped() == [str(tmp_path / "broken.png")] and src.done()
    _, d, img = M.pdu_image(msgs[0])
    assert (d["image_id"], d["file"], img.shape) == (0, "kodim23.png", (512, 768, 3))
    assert M.to_dict(pmt.car(msgs[1]))["image_id"] == 2  # ids are list positions: the skipped file keeps its id


def test_image_source_arguments():
    assert len(jscc.image_source(EXAMPLE_IMAGES).paths) == 2
    with pytest.raises(ValueError, match="no image files"):
        jscc.image_source("")
    with pytest.raises(ValueError, match="interval"):
        jscc.image_source(EXAMPLE_IMAGES, repeat=True)


def test_encode_decode_pdu_and_bad_messages(kodim23):
    enc = jscc.deepjscc_encode_pdu(DEFAULT_MODEL, threads=1)
    out = run_msgs(enc, [pmt.intern("junk"), pmt.cons(pmt.make_dict(), to_pmt(np.zeros(10, np.uint8))),
                         image_msg(kodim23, image_id=7, file="x.png")], 1)
    assert enc.errors() == 2 and enc.encoded() == 1
    d = M.to_dict(pmt.car(out[0]))
    sym = to_numpy(pmt.cdr(out[0]))
    assert d["image_id"] == 7 and d["file"] == "x.png" and d["n_symbols"] == sym.size == 196608
    assert d["model"] == DEFAULT_MODEL and d["codec"] == "deepjscc"

    dec = jscc.deepjscc_decode_pdu(DEFAULT_MODEL, threads=1)
    meta = pmt.car(out[0])
    short = sym[:-1000]
    withnan = sym.copy()
    withnan[5:50] = np.nan
    # each damaged copy is another image (an id already decoded is a re-delivery and is dropped)
    ids = lambda i: M.with_entries(meta, image_id=i)  # noqa: E731
    msgs = [pmt.cons(ids(7), to_pmt(sym)), pmt.cons(ids(8), to_pmt(short)), pmt.cons(ids(9), to_pmt(np.r_[sym, sym[:9]])),
            pmt.cons(ids(10), to_pmt(withnan)), pmt.cons(pmt.make_dict(), to_pmt(sym)),  # no size known
            pmt.cons(meta, to_pmt(np.zeros(4, np.float32))), pmt.PMT_T]
    imgs = run_msgs(dec, msgs, 4)
    st = dec.stats()
    assert {k: st[k] for k in ("decoded", "damaged", "short", "long", "nonfinite", "dropped")} == \
        dict(decoded=4, damaged=3, short=1, long=1, nonfinite=1, dropped=3)
    ds = [M.pdu_image(m)[1] for m in imgs]
    assert [(d["missing"], d["extra"], d["nonfinite"]) for d in ds] == [(0, 0, 0), (1000, 0, 0), (0, 9, 0), (0, 0, 45)]
    from gnuradio.jscc.metrics import psnr
    clean = M.pdu_image(imgs[0])[2]
    assert all(psnr(clean, M.pdu_image(m)[2]) > 25 for m in imgs[1:])  # degraded gracefully


def test_decoder_uses_block_size_when_metadata_has_none(codec, kodim23):
    sym = codec.encode_symbols(kodim23[:64, :64])
    dec = jscc.deepjscc_decode_pdu(DEFAULT_MODEL, height=64, width=64, threads=1)
    imgs = run_msgs(dec, [pmt.cons(pmt.PMT_NIL, to_pmt(sym))], 1)
    assert M.pdu_image(imgs[0])[2].shape == (64, 64, 3) and dec.stats()["damaged"] == 0


def tag(offset, key, value):
    return gr.tag_utils.python_to_tag((offset, pmt.intern(key), value, pmt.PMT_NIL))


def test_stream_to_pdu_framing_damage():
    x = np.arange(100).astype(np.complex64)
    tags = [tag(5, "packet_len", pmt.from_long(20)), tag(5, "image_id", pmt.from_long(1)),
            tag(25, "packet_len", pmt.from_long(30)),   # cut short by the next tag at 40
            tag(40, "packet_len", pmt.from_long(-3)),   # bad length: its samples are stray
            tag(60, "packet_len", pmt.from_long(10))]
    tb = gr.top_block()
    src = blocks.vector_source_c(x.tolist(), False, 1, tags)
    s2p = jscc.stream_to_pdu()
    dbg = blocks.message_debug()
    tb.connect(src, s2p)
    tb.msg_connect(s2p, "pdus", dbg, "store")
    tb.run()
    time.sleep(0.1)
    pk = [(M.to_dict(pmt.car(dbg.get_message(i))), to_numpy(pmt.cdr(dbg.get_message(i))))
          for i in range(dbg.num_messages())]
    assert [p[1].real.astype(int).tolist()[:2] + [p[1].size] for p in pk] == [[5, 6, 20], [25, 26, 15], [60, 61, 10]]
    assert pk[0][0] == {"image_id": 1} and pk[1][0].get("truncated") is True
    st = s2p.stats()
    assert st == dict(packets=3, truncated=1, stray_samples=5 + 20 + 30, bad_length=1, incomplete=0)


def test_pdu_to_stream_carries_packets_larger_than_buffers():
    big = (np.arange(300_000) % 1000).astype(np.complex64)
    p2s = jscc.pdu_to_stream()
    tb = gr.top_block()
    snk = blocks.vector_sink_c()
    head = blocks.head(gr.sizeof_gr_complex, big.size + 5)
    tb.connect(p2s, head, snk)
    tb.start()
    p2s._post(pmt.intern("pdus"), pmt.intern("junk"))
    p2s._post(pmt.intern("pdus"), pmt.cons(M.with_entries(pmt.make_dict(), image_id=3), to_pmt(big)))
    p2s._post(pmt.intern("pdus"), pmt.cons(pmt.make_dict(), to_pmt(np.ones(5, np.complex64))))
    try:  # a message-fed source never ends by itself: stop once everything has arrived
        wait_for(lambda: len(snk.data()) >= big.size + 5)
    finally:
        tb.stop()
        tb.wait()
    out = np.array(snk.data())
    assert np.array_equal(out[:big.size], big) and p2s.errors() == 1
    t = {(x.offset, pmt.symbol_to_string(x.key)): pmt.to_python(x.value) for x in snk.tags()}
    assert t == {(0, "packet_len"): big.size, (0, "image_id"): 3, (big.size, "packet_len"): 5}


def test_image_sink_writes_png_csv_metrics(tmp_path, kodim23):
    sink = jscc.image_sink(str(tmp_path / "out"), EXAMPLE_IMAGES, True)
    noisy = np.clip(kodim23.astype(int) + 3, 0, 255).astype(np.uint8)
    msgs = [image_msg(noisy, image_id=4, file="kodim23.png", snr_db=7.0),
            image_msg(noisy[:10, :10], image_id=5, file="kodim23.png"),  # size mismatch: no metrics
            image_msg(noisy, image_id=6, file="unknown.png"), pmt.intern("junk")]
    metrics = run_msgs(sink, msgs, 3, out_port="metrics")
    r = sink.results()
    assert len(r) == 3 and sink.errors() == 3
    assert abs(r[0]["psnr_db"] - 10 * np.log10(255 ** 2 / 9)) < 0.2 and 0.9 < r[0]["ssim"] <= 1
    assert "psnr_db" not in r[1] and "psnr_db" not in r[2]
    assert os.path.isfile(tmp_path / "out" / "0004_kodim23.png")
    assert M.to_dict(metrics[0])["snr_db"] == 7.0
    rows = (tmp_path / "out" / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("image_id,file") and len(rows) == 4
    with pytest.raises(ValueError, match="does not exist"):
        jscc.image_sink("", str(tmp_path / "nope"))


def test_hier_encoder_channel_decoder_stream(kodim23):
    """The stream faces: tags survive the C++ channel, images come out with their metadata."""
    tb = gr.top_block()
    src = jscc.image_source([os.path.join(EXAMPLE_IMAGES, "kodim23.png")] * 3)
    enc = jscc.deepjscc_encoder(DEFAULT_MODEL, 1)
    ch = jscc.awgn_cc(30.0, 1.0, 1)
    dec = jscc.deepjscc_decoder(DEFAULT_MODEL, threads=1)
    sink = jscc.image_sink()
    tb.msg_connect(src, "out", enc, "in")
    tb.connect(enc, ch, dec)
    tb.msg_connect(dec, "out", sink, "in")
    tb.start()
    try:
        assert sink.wait(3, 30)
    finally:
        tb.stop()
        tb.wait()
    r = sink.results()
    assert [x["image_id"] for x in r] == [0, 1, 2] and all(x["snr_db"] == 30.0 for x in r)
    assert dec.stats()["damaged"] == 0 and dec.stats()["framing_stray_samples"] == 0


def test_odd_images_through_the_whole_flowgraph(tmp_path):
    """8x8, 4097x3, grayscale, RGBA and a corrupt file: the corrupt one is skipped and counted,
    every other image arrives at its own size, the flowgraph keeps running."""
    from PIL import Image
    from gnuradio.jscc.link.loopback import deepjscc_loopback
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(tmp_path / "a_8x8.png")
    Image.fromarray(rng.integers(0, 256, (4097, 3, 3), dtype=np.uint8)).save(tmp_path / "b_tall.png")
    Image.fromarray(rng.integers(0, 256, (40, 60), dtype=np.uint8)).save(tmp_path / "c_gray.png")
    Image.fromarray(rng.integers(0, 256, (30, 20, 4), dtype=np.uint8), "RGBA").save(tmp_path / "d_rgba.png")
    (tmp_path / "e_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    tb = deepjscc_loopback(str(tmp_path), DEFAULT_MODEL, "awgn", 10.0, seed=2, out_dir=str(tmp_path / "rx"),
                           reference=str(tmp_path), compute_ssim=False, threads=1)
    results, _ = tb.run_images(timeout=60)
    sizes = {r["file"]: (r["height"], r["width"]) for r in results}
    assert sizes == {"a_8x8.png": (8, 8), "b_tall.png": (4097, 3), "c_gray.png": (40, 60), "d_rgba.png": (30, 20)}
    assert tb.source.skipped() == [str(tmp_path / "e_corrupt.png")]
    assert all("psnr_db" in r for r in results) and tb.decoder.stats()["damaged"] == 0


def test_image_view_shows_images_offscreen(kodim23):
    """The Qt GUI image view, with Qt's offscreen platform (no display in CI)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt5 import QtWidgets
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    view = jscc.image_view("rx", max_width=384)
    meta = M.with_entries(pmt.make_dict(), image_id=3, file="kodim23.png", lost_fragments=1, fragments=64)
    view._handle_in(M.image_pdu(kodim23, meta))
    view._handle_in(pmt.intern("not an image"))
    app.processEvents()
    pix = view.widget().label.pixmap()
    assert pix is not None and pix.width() == 384 and pix.height() == 256
    assert "image 3" in view.widget().caption.text() and "lost fragments 1/64" in view.widget().caption.text()
    assert view.shown() == 1 and view.errors() == 1
