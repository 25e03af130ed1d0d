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
                                  "chunk_reassembler", "chunk_fec_decoder", "codec_encode_pdu"])
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
