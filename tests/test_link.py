"""The link for any codec: codec and chunk-FEC blocks at the PDU level, the direct and OFDM
loopbacks with a digital scheme (bit-exact against the model level), header ranges."""
import time

import numpy as np
import pmt
import pytest
from conftest import EXAMPLE_IMAGES, run_msgs
from gnuradio import blocks, gr

from gnuradio import jscc
from gnuradio.jscc import codecs, meta as M
from gnuradio.jscc.coding import chain
from gnuradio.jscc.imageio import load_rgb
from gnuradio.jscc.link.loopback import codec_loopback, codec_ofdm_loopback
from gnuradio.jscc.pmtio import to_numpy, to_pmt

KODIM23 = f"{EXAMPLE_IMAGES}/kodim23.png"


def image_msg(img, **meta):
    return M.image_pdu(img, M.with_entries(pmt.make_dict(), **meta))


def model_level(name, img, kn, mcs):
    """What the model-level evaluation decodes from an error-free channel."""
    codec = codecs.load(name)
    (c,) = codec.encode(img, chain.capacity(chain.channel_uses(*img.shape[:2], kn), mcs))
    return codec.decode({0: c}, *img.shape[:2]).image


def test_digital_chunks_through_the_pdu_blocks(kodim23):
    img = np.ascontiguousarray(kodim23[:128, :192])
    enc = jscc.codec_encode_pdu("jpeg2000", 6, "16qam-1/2")
    fec_tx, fec_rx = jscc.chunk_fec_encoder("qpsk-1/2"), jscc.chunk_fec_decoder(1)
    dec = jscc.codec_decode_pdu("jpeg2000")
    out = run_msgs([enc, fec_tx], [image_msg(img, image_id=3, file="x.png")], 1)
    (sym_pdu,) = out
    d = M.to_dict(pmt.car(sym_pdu))
    assert (d["frame_type"], d["bits_per_symbol"], d["mcs"], d["chunk"], d["chunk_count"]) == (1, 4, "16qam-1/2", 0, 1)
    assert d["model_id"] == 65 and d["n_symbols"] <= chain.channel_uses(128, 192, 6)
    noisy = M.with_entries(pmt.car(sym_pdu), snr_db=25.0)
    imgs = run_msgs([fec_rx, dec], [pmt.cons(noisy, pmt.cdr(sym_pdu))], 1)
    _, dd, got = M.pdu_image(imgs[0])
    assert np.array_equal(got, model_level("jpeg2000", img, 6, "16qam-1/2"))
    assert dd["image_id"] == 3 and dd["file"] == "x.png" and not dd["decode_failed"] and dd["chunks_failed"] == 0
    # the same symbols far below the code's threshold: the CRC fails, the image is the failure image
    noise = (np.random.default_rng(0).standard_normal(d["n_symbols"] * 2).view(np.complex128) * 0.7).astype(np.complex64)
    bad = pmt.cons(M.with_entries(pmt.car(sym_pdu), snr_db=0.0), to_pmt(to_numpy(pmt.cdr(sym_pdu)) + noise))
    fec_rx2, dec2 = jscc.chunk_fec_decoder(1), jscc.codec_decode_pdu("jpeg2000")
    imgs = run_msgs([fec_rx2, dec2], [bad], 1)
    _, dd, got = M.pdu_image(imgs[0])
    assert dd["decode_failed"] and dd["chunks_failed"] == 1 and (got == 128).all()
    assert fec_rx2.stats()["failed"] == 1 and dec2.stats()["decode_failed"] == 1


def test_chunk_fec_decoder_bad_input_is_counted():
    fec = jscc.chunk_fec_decoder(1)
    x = chain.encode(b"hello", "qpsk-1/2")
    base = dict(frame_type=1, bits_per_symbol=2, fec=2)
    msgs = [pmt.cons(M.with_entries(pmt.make_dict(), **base), to_pmt(x)),                       # no reliability
            pmt.cons(M.with_entries(pmt.make_dict(), frame_type=1, bits_per_symbol=3, fec=2, snr_db=9.0), to_pmt(x)),
            pmt.cons(M.with_entries(pmt.make_dict(), frame_type="digital", snr_db=9.0), to_pmt(x)),
            pmt.cons(M.with_entries(pmt.make_dict(), **base, snr_db=9.0), to_pmt(np.zeros(8, np.float32))),
            pmt.intern("junk"),
            pmt.cons(M.with_entries(pmt.make_dict(), **base, snr_db=20.0), to_pmt(x))]           # fine
    out = run_msgs([fec], msgs, 1)
    assert len(out) == 1 and bytes(to_numpy(pmt.cdr(out[0]))) == b"hello"
    st = fec.stats()
    assert st["dropped"] == 5 and st["decoded"] == 1 and st["errors"] == 0


def test_decoder_waits_for_every_chunk_then_times_out(kodim23):
    """An image of two chunks: nothing until both are in, or the timeout; a chunk of another
    model is dropped and counted."""
    img = np.ascontiguousarray(kodim23[:64, :64])
    codec = codecs.load("deepjscc-kn6-awgn-10db")
    sym = codec.encode(img)[0].data
    dec = jscc.codec_decode_pdu("deepjscc-kn6-awgn-10db", timeout=0.4)
    meta = lambda **kw: M.with_entries(pmt.make_dict(), image_id=1, height=64, width=64, chunk_count=2, **kw)  # noqa
    msgs = [pmt.cons(meta(chunk=0), to_pmt(sym)),
            pmt.cons(meta(chunk=1, model_id=77), to_pmt(sym))]  # another model's chunk
    t0 = time.time()
    out = run_msgs([dec], msgs, 1)
    assert len(out) == 1 and time.time() - t0 >= 0.4
    st = dec.stats()
    assert st["timed_out"] == 1 and st["inconsistent"] == 1 and st["decoded"] == 1
    assert M.to_dict(pmt.car(out[0]))["chunks_received"] == 1


def test_encoder_refuses_what_the_header_cannot_carry():
    enc = jscc.codec_encode_pdu("deepjscc-kn6-awgn-10db")
    wide = np.zeros((4, 70000, 3), np.uint8)
    ok = np.zeros((8, 5000, 3), np.uint8)  # > 4095: the old 12-bit field wrapped this
    out = run_msgs([enc], [image_msg(wide), image_msg(ok)], 1)
    assert len(out) == 1 and M.to_dict(pmt.car(out[0]))["width"] == 5000
    assert enc.stats()["too_large"] == 1


def test_modulator_drops_a_packet_whose_tags_do_not_fit():
    """A tag value beyond its header field is refused whole (counted), never sent wrapped."""
    mod = jscc.ofdm_mod_cc(64, 16, 52, 4, 64)
    tags = []
    for i, (k, v) in enumerate([("width", 70000), ("width", 5000)]):
        for key, val in ((M.LEN_TAG, 100), (k, v)):
            t = gr.tag_t()
            t.offset, t.key, t.value = i * 100, pmt.intern(key), pmt.from_long(val)
            tags.append(t)
    src = blocks.vector_source_c(np.ones(200, np.complex64).tolist(), False, 1, tags)
    snk = blocks.vector_sink_c()
    tb = gr.top_block()
    tb.connect(src, mod, snk)
    tb.run()
    assert mod.rejected() == 1 and mod.frames() == 1


def test_direct_loopback_digital_is_bit_exact(tmp_path):
    tb = codec_loopback(KODIM23, "jpeg2000", "awgn", 20.0, 1, str(tmp_path), KODIM23, False, kn=12, mcs="16qam-2/3")
    results, _ = tb.run_images(120)
    assert len(results) == 1 and not results[0].get("decode_failed")
    got = load_rgb(results[0]["png"])
    assert np.array_equal(got, model_level("jpeg2000", load_rgb(KODIM23), 12, "16qam-2/3"))


def test_ofdm_loopback_digital_is_bit_exact_and_wide_images_keep_their_size(tmp_path):
    """JPEG 2000 + LDPC through the full OFDM PHY (CFO, timing offset) at 15 dB: the image the model
    level gives, bit for bit. A 5000-pixel-wide Deep JSCC image keeps its width (12-bit fields
    wrapped it)."""
    tb = codec_ofdm_loopback(KODIM23, "jpeg2000", "awgn", 15.0, 2, str(tmp_path / "j"), KODIM23, False,
                             kn=6, mcs="qpsk-2/3", cfo=0.2, timing=0.3)
    results, _ = tb.run_images(120)
    assert len(results) == 1
    assert np.array_equal(load_rgb(results[0]["png"]), model_level("jpeg2000", load_rgb(KODIM23), 6, "qpsk-2/3"))
    st = tb.rx.stats()
    assert st["fec"]["failed"] == 0 and st["reassembly"]["lost_fragments"] == 0
    wide = tmp_path / "wide.png"
    from gnuradio.jscc.imageio import save_png
    save_png(str(wide), np.tile(load_rgb(KODIM23)[:16], (1, 7, 1))[:, :5000])
    tb = codec_ofdm_loopback(str(wide), "deepjscc-kn6-awgn-10db", "awgn", 20.0, 3, str(tmp_path / "w"), str(wide),
                             False)
    results, _ = tb.run_images(120)
    assert len(results) == 1 and (results[0]["height"], results[0]["width"]) == (16, 5000)
