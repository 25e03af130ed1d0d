"""Fast numpy <-> PMT uniform vectors.

pmt.init_*vector and pmt.to_pmt convert element by element through Python (~130 ms for a
768x512 RGB image). GNU Radio's bindings also hand out the address of a vector's elements
(uniform_vector_elements / *_writable_elements return it in a capsule): copying through that
address is one memcpy (0.05 ms for an image's 200k symbols). Where a GNU Radio build lacks those,
the PMT serialised form is built and parsed instead (a few ms). Serialised format
(pmt_serialize.cc): 0x0a, type code, u32 length, npad = 1, one pad byte, the elements, big-endian.
"""
import ctypes
import struct

import numpy as np
import pmt

_UNIFORM = 0x0A
# dtype: (serialised type code, pmt type name)
_TYPES = {np.dtype(np.uint8): (0x00, "u8"), np.dtype(np.int8): (0x01, "s8"),
          np.dtype(np.uint16): (0x02, "u16"), np.dtype(np.int16): (0x03, "s16"),
          np.dtype(np.uint32): (0x04, "u32"), np.dtype(np.int32): (0x05, "s32"),
          np.dtype(np.float32): (0x08, "f32"), np.dtype(np.float64): (0x09, "f64"),
          np.dtype(np.complex64): (0x0A, "c32"), np.dtype(np.complex128): (0x0B, "c64")}
_BY_CODE = {code: dt for dt, (code, _) in _TYPES.items()}

_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.restype, _capsule_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
_capsule_ptr = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_ptr.restype, _capsule_ptr.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]


def _address(capsule):
    return _capsule_ptr(capsule, _capsule_name(capsule))


def _pmt_dtype(v):
    for dt, (_, name) in _TYPES.items():
        if getattr(pmt, f"is_{name}vector")(v):
            return dt
    return None


def to_pmt(a):
    """1-D (or any, flattened) numpy array -> PMT uniform vector of the same element type."""
    a = np.ascontiguousarray(a).ravel()
    if a.dtype not in _TYPES:
        raise TypeError(f"no PMT uniform vector for dtype {a.dtype}")
    code, name = _TYPES[a.dtype]
    try:
        v = getattr(pmt, f"make_{name}vector")(a.size, 0)
        if a.size:
            ctypes.memmove(_address(getattr(pmt, f"{name}vector_writable_elements")(v, 0)), a.ctypes.data, a.nbytes)
        return v
    except (AttributeError, TypeError, ValueError):  # bindings without element addresses
        head = struct.pack(">BBIBB", _UNIFORM, code, a.size, 1, 0)
        return pmt.deserialize_str(head + a.astype(a.dtype.newbyteorder(">"), copy=False).tobytes())


def to_numpy(v):
    """PMT uniform vector -> numpy array (native byte order, a copy)."""
    if not pmt.is_uniform_vector(v):
        raise TypeError("not a PMT uniform vector")
    dt = _pmt_dtype(v)
    if dt is not None:
        n = pmt.length(v)
        if n == 0:
            return np.empty(0, dt)
        try:
            buf = (ctypes.c_char * (n * dt.itemsize)).from_address(_address(pmt.uniform_vector_elements(v, 0)))
            return np.frombuffer(buf, dt).copy()
        except (AttributeError, TypeError, ValueError):
            pass
    raw = pmt.serialize_str(v)
    tag, code, n, npad = struct.unpack(">BBIB", raw[:7])
    dt = _BY_CODE.get(code)
    if tag != _UNIFORM or dt is None:
        raise TypeError(f"unsupported PMT vector type code {code}")
    data = np.frombuffer(raw, dt.newbyteorder(">"), count=n, offset=7 + npad)
    return data.astype(dt)
