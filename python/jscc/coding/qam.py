"""Gray-coded square QAM, the mapping soft_demapper_cf inverts (docs/ofdm_frame.md).

Per dimension m bits (MSB first) select PAM level i whose Gray code i ^ (i >> 1) equals them;
level i sits at (M - 1 - 2 i) * norm, so all-zero bits are the most positive level. BPSK puts
its bit on I only (0 -> +1). QAM takes the first half of a symbol's bits for I, the rest for Q.
"""
import numpy as np

ORDERS = (1, 2, 4, 6)


def _levels(m):
    M_ = 1 << m
    amp = np.empty(M_, np.float32)
    for i in range(M_):
        amp[i ^ (i >> 1)] = M_ - 1 - 2 * i
    return amp


def qam_map(bits, bps):
    """bits (0/1 array, length a multiple of bps) -> unit-power complex symbols."""
    if bps not in ORDERS:
        raise ValueError(f"bits_per_symbol must be one of {ORDERS}, got {bps}")
    bits = np.asarray(bits, np.uint8).reshape(-1, bps)
    if bps == 1:
        return (1.0 - 2.0 * bits[:, 0]).astype(np.complex64)
    m = bps // 2
    w = 1 << np.arange(m - 1, -1, -1)
    amp = _levels(m) * np.sqrt(3.0 / (2.0 * ((1 << m) ** 2 - 1)))
    i = amp[bits[:, :m] @ w]
    q = amp[bits[:, m:] @ w]
    return (i + 1j * q).astype(np.complex64)


def bytes_to_symbols(data, bps):
    """Bytes -> symbols, the last symbol zero-padded; returns (symbols, n_bits)."""
    bits = np.unpackbits(np.frombuffer(bytes(data), np.uint8))
    pad = (-bits.size) % bps
    return qam_map(np.concatenate([bits, np.zeros(pad, np.uint8)]), bps), bits.size
