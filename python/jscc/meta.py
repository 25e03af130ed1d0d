"""The one set of PDU metadata / stream tag keys every gr-jscc block uses.

A block passes on every key it does not use. Image PDUs carry the pixels as a u8vector
of height*width*3 bytes (row-major RGB); symbol PDUs carry a c32vector.
"""
import numpy as np
import pmt

from .jscc_python import frame_header_fields
from .pmtio import to_numpy, to_pmt

# --- keys the OFDM frame header carries: their names and widths come from the C++ field table
# (frame_header::FIELDS, exported as frame_header_fields()); the constants below are checked against it.
HEADER_FIELDS = dict(frame_header_fields())  # name -> bits, in header order
FRAME_TYPE = "frame_type"            # int: 0 analog (symbols), 1 digital (QAM of coded bits)
BITS_PER_SYMBOL = "bits_per_symbol"  # int: 0 analog, 1/2/4/6
FEC = "fec"                          # int: LDPC code id (coding.mcs.FEC_IDS), 0 uncoded
MODEL_ID = "model_id"                # int: the card's model_id
IMAGE_ID = "image_id"                # int: running number given by the source
CHUNK = "chunk"                      # int: chunk of the image, in the codec's send order
CHUNK_COUNT = "chunk_count"          # int: chunks the transmitter sends for this image
FRAG_IDX = "frag_idx"                # int: fragment (frame) of the chunk
FRAG_COUNT = "frag_count"            # int: fragments of the chunk
SEQ = "seq"                          # int: frame sequence number (wraps)
HEIGHT = "height"                    # int: original image height (pixels)
WIDTH = "width"                      # int: original image width
_missing = {FRAME_TYPE, BITS_PER_SYMBOL, FEC, MODEL_ID, IMAGE_ID, CHUNK, CHUNK_COUNT, FRAG_IDX, FRAG_COUNT, SEQ,
            HEIGHT, WIDTH} - set(HEADER_FIELDS)
if _missing:
    raise ImportError(f"meta keys {_missing} are not fields of the C++ frame header")

# --- other keys
FILE = "file"            # str: base name of the source file
CODEC = "codec"          # str: the card's codec, e.g. "deepjscc", "jpeg2000"
MODEL = "model"          # str: model name
KIND = "kind"            # str: chunk kind, "symbols" or "bytes" (codecs.base)
N_SYMBOLS = "n_symbols"  # int: complex symbols of a symbol chunk
N_BYTES = "n_bytes"      # int: payload bytes of a byte chunk
MCS = "mcs"              # str: modulation and coding of a digital chunk, e.g. "16qam-2/3" (coding.mcs)
CSI = "csi"              # f32vector: per-symbol reliability |h|^2/noise_var of a received chunk
CHUNK_FAILED = "chunk_failed"  # bool: a digital chunk whose CRC failed (payload empty)
CHUNK_DAMAGED = "chunk_damaged"  # bool: a digital chunk whose CRC failed, passed on with its bit errors
SNR_DB = "snr_db"        # float: channel SNR (tagged by channel blocks and the OFDM receiver)
NOISE_VAR = "noise_var"  # float: per-carrier / per-symbol noise variance at unit signal power
MISSING = "missing"      # int: symbols the decoder had to zero-fill
EXTRA = "extra"          # int: surplus symbols the decoder dropped
NONFINITE = "nonfinite"  # int: NaN/inf symbols the decoder zeroed
FRAGMENTS = "fragments"  # int: fragments of a reassembled chunk
LOST_FRAGMENTS = "lost_fragments"  # int: of them, zero-filled
TRUNCATED = "truncated"  # bool: packet cut short by the next length tag (Stream to PDU)
CHUNKS = "chunks"                    # int: chunks the transmitter sent for a decoded image
CHUNKS_RECEIVED = "chunks_received"  # int: of them, arrived (whole or zero-filled)
CHUNKS_FAILED = "chunks_failed"      # int: of them, lost or CRC-failed
CHUNKS_DAMAGED = "chunks_damaged"    # int: of the received, CRC-failed but decoded with their bit errors
DECODE_FAILED = "decode_failed"      # bool: the codec could not decode: the failure (mean-colour) image
REFINEMENT = "refinement"            # int: chunks in a refinement image (Codec Decode's "refine" output)
LDPC_CODEWORDS = "ldpc_codewords"    # int: codewords of a digital chunk
LDPC_FAILED = "ldpc_failed"          # int: of them, not satisfying the parity checks
LDPC_ITERATIONS = "ldpc_iterations"  # float: mean decoder iterations
PSNR_DB, SSIM, PNG = "psnr_db", "ssim", "png"  # Image Sink results: quality against the reference, file written
LEN_TAG = "packet_len"   # GNU Radio's tagged-stream length key
# Tags the C++ blocks set (defined there; listed here for Python readers): "snr_db", "noise_var",
# "cfo", "rx_sample", "chan_est" (ofdm_demod_cc), "frame_start" (ofdm_mod_cc), "chan_h",
# "chan_snr_db" (rayleigh_cc, rayleigh_tv_cc).


def header_max(key):
    """Largest value a header field carries (e.g. 65535 for width)."""
    return (1 << HEADER_FIELDS[key]) - 1


def get_int(d, key, default=None, lo=0, hi=None):
    """An integer metadata entry, checked: ValueError for a missing (without default), non-integer,
    non-finite or out-of-range value. Handlers use it so bad metadata is a counted drop, not a
    dead thread."""
    v = d.get(key, default)
    if v is None:
        raise ValueError(f"metadata has no {key!r}")
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
            v = int(v)
        else:
            raise ValueError(f"metadata {key!r} = {v!r} is not an integer")
    v = int(v)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"metadata {key!r} = {v} is outside {lo}..{hi}")
    return v


def get_float(d, key, default=None):
    """A real-valued metadata entry, checked like get_int: ValueError for a missing (without
    default), non-numeric or non-finite value."""
    v = d.get(key, default)
    if v is None:
        raise ValueError(f"metadata has no {key!r}")
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not np.isfinite(v):
        raise ValueError(f"metadata {key!r} = {v!r} is not a finite number")
    return float(v)


def to_dict(meta):
    """PMT dict (or nil) -> Python dict of plain values; uniform vectors (the per-symbol CSI of a
    chunk: ~200 k values) become numpy arrays by one copy (pmtio.to_numpy), not through a Python
    list as pmt.to_python does (the OFDM loopback spent more time there than in inference)."""
    if pmt.is_null(meta) or not pmt.is_dict(meta):
        return {}
    out = {}
    items = pmt.dict_items(meta)
    while pmt.is_pair(items):
        kv, items = pmt.car(items), pmt.cdr(items)
        k, v = pmt.car(kv), pmt.cdr(kv)
        fast = None
        if pmt.is_uniform_vector(v):
            try:
                fast = to_numpy(v)
            except TypeError:  # an element type pmtio does not map (64-bit integers)
                pass
        out[str(pmt.to_python(k))] = fast if fast is not None else pmt.to_python(v)
    return out


def with_entries(meta, **entries):
    """Copy of a PMT dict with entries set (values converted by pmt.to_pmt)."""
    meta = meta if pmt.is_dict(meta) else pmt.make_dict()
    for k, v in entries.items():
        meta = pmt.dict_add(meta, pmt.intern(k), v if isinstance(v, pmt.pmt_base) else pmt.to_pmt(v))
    return meta


def image_pdu(img, meta):
    img = np.ascontiguousarray(img, np.uint8)
    meta = with_entries(meta, **{HEIGHT: int(img.shape[0]), WIDTH: int(img.shape[1])})
    return pmt.cons(meta, to_pmt(img))


def split_pdu(msg):
    """PDU -> (PMT meta dict, numpy payload); raises ValueError for anything that is not a PDU."""
    if not pmt.is_pair(msg) or not pmt.is_uniform_vector(pmt.cdr(msg)):
        raise ValueError("message is not a PDU (pair of metadata dict and uniform vector)")
    meta = pmt.car(msg)
    return (meta if pmt.is_dict(meta) else pmt.make_dict()), to_numpy(pmt.cdr(msg))


def pdu_image(msg):
    """Image PDU -> (PMT meta, dict meta, uint8 HxWx3)."""
    meta, data = split_pdu(msg)
    d = to_dict(meta)
    h, w = get_int(d, HEIGHT, 0), get_int(d, WIDTH, 0)
    if data.dtype != np.uint8 or h <= 0 or w <= 0 or data.size != h * w * 3:
        raise ValueError(f"not an image PDU: {data.size} {data.dtype} items for height {h}, width {w}")
    return meta, d, data.reshape(h, w, 3)
