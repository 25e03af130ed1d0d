"""The codec interface: registry and cards, the contract every registered codec keeps, the digital
chain (CRC + LDPC + QAM) and the MCS table."""
import json
import os
import shutil

import numpy as np
import pytest
from conftest import EXAMPLE_IMAGES, MODELS, card, shipped_models

from gnuradio import jscc
from gnuradio.jscc import codecs, meta as M
from gnuradio.jscc.channels import sim
from gnuradio.jscc.codecs.base import BYTES, SYMBOLS, Chunk
from gnuradio.jscc.coding import chain, mcs as mcs_table
from gnuradio.jscc.metrics import psnr
from gnuradio.jscc.models import ModelError


@pytest.fixture(scope="module")
def small(kodim23):
    return np.ascontiguousarray(kodim23[100:228, 200:392])  # 128 x 192: quick to code


# --- registry and cards ----------------------------------------------------------------------------
def test_every_card_names_a_registered_codec_and_a_unique_model_id():
    ids = {}
    for name in shipped_models():
        c = card(name)
        assert c["codec"] in codecs.codec_names(), name
        assert isinstance(c["model_id"], int) and 0 <= c["model_id"] <= 255
        assert c["model_id"] not in ids, f"{name} and {ids.get(c['model_id'])} share model_id {c['model_id']}"
        ids[c["model_id"]] = name
    assert {"jpeg", "jpeg2000", "webp", "jpegxl", "avif"} <= set(shipped_models())


def test_registry_errors_are_clear(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        codecs.load("no-such-scheme")
    bad = tmp_path / "weird"
    bad.mkdir()
    (bad / "model.json").write_text(json.dumps({"name": "weird", "codec": "bpg", "model_id": 200}))
    with pytest.raises(ModelError, match="'bpg' is not registered; registered codecs: avif"):
        codecs.load(str(bad))
    (bad / "model.json").write_text("[1, 2]")
    with pytest.raises(ModelError):
        codecs.load(str(bad))
    (bad / "model.json").write_text(json.dumps({"name": "weird", "codec": "jpeg"}))
    with pytest.raises(ModelError, match="model_id"):
        codecs.load(str(bad))
    (bad / "model.json").write_text(json.dumps({"name": "weird", "codec": "jpeg", "model_id": 300}))
    with pytest.raises(ModelError, match="outside 0..255"):
        codecs.load(str(bad))
    # a learned card without its graphs, and without its c
    half = tmp_path / "half"
    shutil.copytree(os.path.join(MODELS, "deepjscc-kn6-awgn-10db"), half)
    os.remove(half / "decoder.onnx")
    with pytest.raises(ModelError, match="decoder.onnx"):
        codecs.load(str(half))
    c = json.loads((half / "model.json").read_text())
    del c["c"]
    (half / "model.json").write_text(json.dumps(c))
    with pytest.raises(ModelError, match="no 'c'"):
        codecs.load(str(half), parts=("encoder",))


# --- the contract, for every registered scheme -----------------------------------------------------
@pytest.mark.parametrize("name", shipped_models())
def test_codec_contract(name, small):
    codec = codecs.load(name, threads=1)
    h, w = small.shape[:2]
    budget = 3000 if codec.kind == BYTES else None
    snr = 10.0  # every codec takes snr_db; SNR-adaptive ones need it, the others ignore it
    chunks = codec.encode(small, budget, snr_db=snr)
    assert 1 <= len(chunks) <= codec.max_chunks(h, w)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(c.kind == codec.kind for c in chunks)
    if codec.kind == BYTES:
        assert sum(c.data.size for c in chunks) <= budget
    full = codec.decode({c.index: c for c in chunks}, h, w, snr_db=snr)
    assert full.image.shape == (h, w, 3) and full.image.dtype == np.uint8
    assert psnr(small, full.image) > 22
    # any subset, any damage: an image, never an exception
    for subset in ({}, {0: None}, {c.index: None for c in chunks}):
        out = codec.decode(subset, h, w, snr_db=snr)
        assert out.image.shape == (h, w, 3)
    damaged = {c.index: Chunk(c.index, c.kind, c.data[: c.data.size // 3]) for c in chunks}
    assert codec.decode(damaged, h, w, snr_db=snr).image.shape == (h, w, 3)


@pytest.mark.parametrize("name", ["jpeg", "jpeg2000", "webp", "jpegxl", "avif"])
def test_image_codec_rate_control_and_failure_rule(name, small):
    codec = codecs.load(name)
    h, w = small.shape[:2]
    sizes = []
    for budget in (1500, 4000, 12000):
        (c,) = codec.encode(small, budget)
        assert c.data.size <= budget
        sizes.append((c.data.size, psnr(small, codec.decode({0: c}, h, w).image)))
    assert [s for s, _ in sizes] == sorted(s for s, _ in sizes) and sizes[-1][1] > sizes[0][1]
    assert sizes[-1][0] > 0.7 * 12000  # the search uses most of the budget
    assert codec.encode(small, 20) == []  # nothing fits: nothing is sent
    side = codec.side_info(small)
    lost = codec.decode({0: None}, h, w, side=side)
    assert lost.info["failed"] and np.allclose(lost.image.reshape(-1, 3)[0], np.rint(small.reshape(-1, 3).mean(0)))
    junk = codec.decode({0: Chunk(0, BYTES, np.frombuffer(b"\x00garbage" * 9, np.uint8))}, h, w)
    assert junk.info["failed"] and (junk.image == 128).all()  # the means unknown: mid-grey


def test_jpeg2000_uses_the_colour_transform(small):
    """The expert setting (mct=1) gives a clearly better image at the same size than Pillow's default."""
    import io
    from PIL import Image
    codec = codecs.load("jpeg2000")
    (c,) = codec.encode(small, 3000)
    buf = io.BytesIO()
    Image.fromarray(small).save(buf, "JPEG2000", irreversible=True, no_jp2=True, quality_mode="rates",
                                quality_layers=[small.size / c.data.size])
    plain = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    assert psnr(small, codec.decode({0: c}, *small.shape[:2]).image) > psnr(small, plain) + 1.0


# --- MCS table and header fields ------------------------------------------------------------------
def test_mcs_table():
    assert len(mcs_table.PAPER) == 12 and len({m.name for m in mcs_table.PAPER}) == 12
    for m in mcs_table.PAPER + [mcs_table.parse("64qam-uncoded")]:
        assert mcs_table.from_header(m.bits_per_symbol, m.fec_id) == m
        assert m.fec_id < 1 << M.HEADER_FIELDS[M.FEC]
    assert mcs_table.parse("16qam-2/3").bits_per_channel_use == pytest.approx(8 / 3)
    for bad in ("8psk-1/2", "qpsk-3/4", "qpsk", ""):
        with pytest.raises(ValueError, match="unknown MCS"):
            mcs_table.parse(bad)
    with pytest.raises(ValueError):
        mcs_table.from_header(3, 1)


def test_header_field_table_is_the_one_python_uses():
    fields = dict(jscc.frame_header_fields())
    assert fields == M.HEADER_FIELDS
    assert M.header_max(M.WIDTH) == M.header_max(M.HEIGHT) == 65535
    assert sum(fields.values()) + 16 == jscc.FRAME_HEADER_INFO_BITS


# --- the digital chain ----------------------------------------------------------------------------
@pytest.mark.parametrize("m", [m.name for m in mcs_table.PAPER] + ["qpsk-uncoded", "16qam-uncoded"])
def test_chain_round_trip_and_capacity(m):
    rng = np.random.default_rng(1)
    k = 9000  # channel uses
    n = chain.capacity(k, m)
    assert n > 0
    payload = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    x = chain.encode(payload, m)
    assert x.size == chain.n_symbols(n, m) <= k
    assert abs(np.mean(np.abs(x) ** 2) - 1) < 0.05
    assert chain.n_symbols(n + 1 + chain.OVERHEAD + 1000, m) > chain.n_symbols(n, m) or "uncoded" in m
    out, info = chain.decode(x, 1000.0, m)  # 30 dB
    assert out == payload and info["crc_ok"] and info["failed_codewords"] == 0


def test_chain_never_passes_a_corrupted_chunk():
    rng = np.random.default_rng(2)
    payload = rng.integers(0, 256, 700, dtype=np.uint8).tobytes()
    x = chain.encode(payload, "qpsk-uncoded")
    y = x.copy()
    y[123] = -y[123]  # two bit errors, no FEC to fix them
    out, info = chain.decode(y, 1000.0, "qpsk-uncoded")
    assert out is None and not info["crc_ok"] and "CRC" in info["why"]
    # noise far below the code's threshold: LDPC fails, CRC refuses, nothing is passed
    x = chain.encode(payload, "64qam-2/3")
    out, info = chain.decode(sim.awgn(x, 3.0, rng), 10 ** 0.3, "64qam-2/3")
    assert out is None and info["failed_codewords"] > 0


def test_chain_give_up_drops_at_the_first_failed_codeword():
    """decode(give_up=True): the same payload as a full decode when every codeword decodes; below
    the code's threshold it stops after the first batch holding a failed codeword."""
    rng = np.random.default_rng(5)
    m = "16qam-2/3"
    payload = rng.integers(0, 256, 40 * 4096 // 8 - chain.OVERHEAD, dtype=np.uint8).tobytes()
    x = chain.encode(payload, m)
    y = sim.awgn(x, 14.0, rng)
    full, _ = chain.decode(y, 10 ** 1.4, m)
    out, info = chain.decode(y, 10 ** 1.4, m, give_up=True)
    assert out == full == payload and info["decoded_codewords"] == info["codewords"] == 40
    out, info = chain.decode(sim.awgn(x, 3.0, rng), 10 ** 0.3, m, give_up=True)
    assert out is None and info["failed_codewords"] > 0 and "parity" in info["why"]
    assert info["decoded_codewords"] == chain.GIVE_UP_BATCH < info["codewords"]
    # keep_damaged needs every codeword's hard decisions: it decodes them all
    out, info = chain.decode(sim.awgn(x, 3.0, rng), 10 ** 0.3, m, keep_damaged=True, give_up=True)
    assert out is None and "damaged" in info and info["decoded_codewords"] == info["codewords"]


def test_chain_erasures_and_nonfinite_input():
    rng = np.random.default_rng(3)
    payload = rng.integers(0, 256, 2000, dtype=np.uint8).tobytes()
    x = chain.encode(payload, "bpsk-1/3")
    y = sim.awgn(x, 6.0, rng)
    csi = np.full(x.size, 10 ** 0.6, np.float32)
    y[:1500] = 0
    csi[:1500] = 0  # a lost fragment: erasures, which rate 1/3 recovers
    y[2000:2010] = np.nan
    csi[3000:3005] = np.inf
    out, info = chain.decode(y, csi, "bpsk-1/3")
    assert out == payload, info


def test_chain_bad_arguments():
    with pytest.raises(ValueError, match="unknown MCS"):
        chain.encode(b"x", "qpsk-9/10")
    assert chain.capacity(10, "qpsk-1/2") < 0  # not one codeword: nothing fits
    out, info = chain.decode(np.zeros(100, np.complex64), 1.0, "qpsk-1/2")
    assert out is None and info["codewords"] == 0


def test_chain_every_codeword_sees_every_bit_position():
    """16-QAM has two reliable and two weak bit positions; interleaving over the whole chunk put
    half the codewords on the weak ones (those needed ~3 dB more). Per-codeword interleaving
    (5G NR's): 16 codewords at 1 dB above the MCS's threshold all decode."""
    rng = np.random.default_rng(4)
    c = 16 * 4096 // 8 - chain.OVERHEAD
    x = chain.encode(rng.integers(0, 256, c, dtype=np.uint8).tobytes(), "16qam-2/3")
    out, info = chain.decode(sim.awgn(x, 10.0, rng), 10.0, "16qam-2/3")
    assert info["codewords"] == 16 and info["failed_codewords"] == 0 and out is not None
