"""Fast numpy <-> PMT uniform vectors.

pmt.init_*vector and pmt.to_pmt convert element by element through Python (~130 ms for a
768x512 RGB image). GNU Radio's bindings also hand out the address of a vector's elements
(uniform_vector_elements / uniform_vector_writable_elements return it in a capsule; the typed
*_writable_elements return an element, not an address): copying through that
address is one memcpy.
"""
import ctypes

import numpy as np
import pmt

_NAMES = {np.dtype(np.uint8): "u8", np.dtype(np.int8): "s8", np.dtype(np.uint16): "u16",
          np.dtype(np.int16): "s16", np.dtype(np.uint32): "u32", np.dtype(np.int32): "s32",
          np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
          np.dtype(np.complex64): "c32", np.dtype(np.complex128): "c64"}

_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.restype, _capsule_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
_capsule_ptr = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_ptr.restype, _capsule_ptr.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]


def _address(capsule):
    return _capsule_ptr(capsule, _capsule_name(capsule))


def to_pmt(a):
    """1-D (or any, flattened) numpy array -> PMT uniform vector of the same element type."""
    a = np.ascontiguousarray(a).ravel()
    name = _NAMES.get(a.dtype)
    if name is None:
        raise TypeError(f"no PMT uniform vector for dtype {a.dtype}")
    v = getattr(pmt, f"make_{name}vector")(a.size, 0)
    if a.size:
        ctypes.memmove(_address(pmt.uniform_vector_writable_elements(v, 0)), a.ctypes.data, a.nbytes)
    return v


def to_numpy(v):
    """PMT uniform vector -> numpy array (native byte order, a copy)."""
    dt = next((dt for dt, name in _NAMES.items() if getattr(pmt, f"is_{name}vector")(v)), None)
    if dt is None:
        raise TypeError("not a PMT uniform vector of a supported element type")
    n = pmt.length(v)
    if n == 0:
        return np.empty(0, dt)
    buf = (ctypes.c_char * (n * dt.itemsize)).from_address(_address(pmt.uniform_vector_elements(v, 0)))
    return np.frombuffer(buf, dt).copy()
