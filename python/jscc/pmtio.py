"""Fast numpy <-> PMT uniform vectors.

pmt.init_*vector and pmt.to_pmt convert element by element through Python (~130 ms for a
768x512 RGB image); building PMT's own serialised form with numpy and letting C++ parse it
takes a few ms. Format (pmt_serialize.cc): 0x0a, type code, u32 length, npad = 1, one pad
byte, then the elements, all big-endian.
"""
import struct

import numpy as np
import pmt

_UNIFORM = 0x0A
_CODES = {np.dtype(np.uint8): 0x00, np.dtype(np.int8): 0x01, np.dtype(np.uint16): 0x02,
          np.dtype(np.int16): 0x03, np.dtype(np.uint32): 0x04, np.dtype(np.int32): 0x05,
          np.dtype(np.float32): 0x08, np.dtype(np.float64): 0x09,
          np.dtype(np.complex64): 0x0A, np.dtype(np.complex128): 0x0B}
_DTYPES = {v: k for k, v in _CODES.items()}


def to_pmt(a):
    """1-D (or any, flattened) numpy array -> PMT uniform vector of the same element type."""
    a = np.ascontiguousarray(a).ravel()
    code = _CODES.get(a.dtype)
    if code is None:
        raise TypeError(f"no PMT uniform vector for dtype {a.dtype}")
    head = struct.pack(">BBIBB", _UNIFORM, code, a.size, 1, 0)
    return pmt.deserialize_str(head + a.astype(a.dtype.newbyteorder(">"), copy=False).tobytes())


def to_numpy(v):
    """PMT uniform vector -> numpy array (native byte order)."""
    if not pmt.is_uniform_vector(v):
        raise TypeError("not a PMT uniform vector")
    raw = pmt.serialize_str(v)
    tag, code, n, npad = struct.unpack(">BBIB", raw[:7])
    dt = _DTYPES.get(code)
    if tag != _UNIFORM or dt is None:
        raise TypeError(f"unsupported PMT vector type code {code}")
    data = np.frombuffer(raw, dt.newbyteorder(">"), count=n, offset=7 + npad)
    return data.astype(dt)
