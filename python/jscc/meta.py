"""The one set of PDU metadata / stream tag keys every gr-jscc block uses.

A block passes on every key it does not use. Image PDUs carry the pixels as a u8vector
of height*width*3 bytes (row-major RGB); symbol PDUs carry a c32vector.
"""
import zlib

import numpy as np
import pmt

from .pmtio import to_numpy, to_pmt

IMAGE_ID = "image_id"    # int: running number given by the source
HEIGHT = "height"        # int: original image height (pixels)
WIDTH = "width"          # int: original image width
FILE = "file"            # str: base name of the source file
CODEC = "codec"          # str: e.g. "deepjscc"
MODEL = "model"          # str: model name
N_SYMBOLS = "n_symbols"  # int: complex symbols the encoder produced for this image
SNR_DB = "snr_db"        # float: channel SNR (tagged by channel blocks)
MISSING = "missing"      # int: symbols the decoder had to zero-fill
EXTRA = "extra"          # int: surplus symbols the decoder dropped
NONFINITE = "nonfinite"  # int: NaN/inf symbols the decoder zeroed
LEN_TAG = "packet_len"   # GNU Radio's tagged-stream length key
MODEL_ID = "model_id"    # int: 8-bit model id carried in the OFDM frame header (model_id())


def model_id(name):
    """The 8-bit header id of a model name (CRC-32 of the name, low byte)."""
    return zlib.crc32(str(name).encode()) & 0xFF


def to_dict(meta):
    """PMT dict (or nil) -> Python dict of plain values."""
    if pmt.is_null(meta) or not pmt.is_dict(meta):
        return {}
    return {str(k): v for k, v in pmt.to_python(meta).items()}


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
    h, w = int(d.get(HEIGHT, 0)), int(d.get(WIDTH, 0))
    if data.dtype != np.uint8 or h <= 0 or w <= 0 or data.size != h * w * 3:
        raise ValueError(f"not an image PDU: {data.size} {data.dtype} items for height {h}, width {w}")
    return meta, d, data.reshape(h, w, 3)
