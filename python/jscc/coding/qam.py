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


def qam_hard(symbols, bps):
    """Hard decisions: the bits (uint8 0/1, bps per symbol) of the nearest constellation point."""
    if bps not in ORDERS:
        raise ValueError(f"bits_per_symbol must be one of {ORDERS}, got {bps}")
    y = np.asarray(symbols, np.complex64).ravel()
    if bps == 1:
        return (y.real < 0).astype(np.uint8)
    m = bps // 2
    M_ = 1 << m
    norm = np.sqrt(3.0 / (2.0 * (M_ ** 2 - 1)))
    out = []
    for v in (y.real, y.imag):
        i = np.clip(np.rint((M_ - 1 - v / norm) / 2), 0, M_ - 1).astype(np.int64)  # level position
        g = i ^ (i >> 1)  # its Gray label
        out.append((g[:, None] >> np.arange(m - 1, -1, -1)) & 1)
    return np.concatenate(out, 1).astype(np.uint8).ravel()


def uncoded_ber(snr_db, bps):
    """Bit error rate of Gray square QAM on AWGN (nearest-neighbour approximation; exact for
    BPSK and QPSK), SNR per complex symbol."""
    from scipy.special import erfc
    q = lambda x: 0.5 * erfc(x / np.sqrt(2))  # noqa: E731
    snr = 10 ** (np.asarray(snr_db, np.float64) / 10)
    if bps == 1:
        return q(np.sqrt(2 * snr))
    M_ = 1 << bps
    return np.minimum(4 / bps * (1 - 1 / np.sqrt(M_)) * q(np.sqrt(3 * snr / (M_ - 1))), 0.5)


def bytes_to_symbols(data, bps):
    """Bytes -> symbols, the last symbol zero-padded; returns (symbols, n_bits)."""
    bits = np.unpackbits(np.frombuffer(bytes(data), np.uint8))
    pad = (-bits.size) % bps
    return qam_map(np.concatenate([bits, np.zeros(pad, np.uint8)]), bps), bits.size
