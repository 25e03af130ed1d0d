"""The digital chain of a BYTES chunk: framing + CRC-32, LDPC, bit interleaving, Gray QAM, and
back from soft symbols. One definition, used by the model-level evaluation and by the GNU Radio
blocks (blocks.chunk_fec) alike, so both send exactly the same symbols.

Frame of a chunk: 4-byte big-endian payload length | payload | CRC-32 (zlib's, over length and
payload), zero-padded to whole LDPC information blocks (uncoded: to whole QAM symbols). The
coded bits of all codewords are interleaved row-column over the chunk (bit i of symbol j is coded
bit j + i * n_symbols), so the reliable and unreliable bit positions of 16/64-QAM spread over the
codewords as 5G NR's bit interleaver does within one. A chunk is delivered only when its CRC
passes; a chunk whose CRC fails never reaches an image decoder.
"""
import zlib

import numpy as np

from . import ldpc
from .mcs import parse
from .qam import qam_map

OVERHEAD = 8  # length + CRC-32 bytes
MAX_ITER = 50


def _frame(payload):
    head = len(payload).to_bytes(4, "big") + bytes(payload)
    return head + zlib.crc32(head).to_bytes(4, "big")


def _unframe(data):
    """(payload, None) when length and CRC check out, else (None, why)."""
    if len(data) < OVERHEAD:
        return None, "shorter than the frame overhead"
    n = int.from_bytes(data[:4], "big")
    if n > len(data) - OVERHEAD:
        return None, f"length field {n} exceeds the {len(data) - OVERHEAD} bytes received"
    head, crc = data[:4 + n], data[4 + n:8 + n]
    if zlib.crc32(head).to_bytes(4, "big") != crc:
        return None, "CRC mismatch"
    return head[4:], None


def channel_uses(height, width, kn):
    """Complex symbols an image gets at bandwidth ratio k/n = 1/kn (n = 3 H W real source values,
    the paper's definition: Deep JSCC at 1/6 sends H W / 2 symbols)."""
    return -(-3 * int(height) * int(width) // int(kn))


def n_codewords(n_bytes, mcs):
    """LDPC codewords (or, uncoded, 0) a payload of n_bytes needs."""
    mcs = parse(mcs)
    if mcs.code is None:
        return 0
    return -(-(n_bytes + OVERHEAD) * 8 // ldpc.code(mcs.code).k)


def n_coded_bits(n_bytes, mcs):
    mcs = parse(mcs)
    if mcs.code is None:
        return (n_bytes + OVERHEAD) * 8
    return n_codewords(n_bytes, mcs) * ldpc.code(mcs.code).n


def n_symbols(n_bytes, mcs):
    """Channel uses (complex symbols) a payload of n_bytes takes."""
    mcs = parse(mcs)
    return -(-n_coded_bits(n_bytes, mcs) // mcs.bits_per_symbol)


def capacity(channel_uses, mcs):
    """The most payload bytes that fit in channel_uses complex symbols (negative: nothing fits)."""
    mcs = parse(mcs)
    bits = int(channel_uses) * mcs.bits_per_symbol
    if mcs.code is None:
        return bits // 8 - OVERHEAD
    c = ldpc.code(mcs.code)
    return (bits // c.n) * c.k // 8 - OVERHEAD


def encode(payload, mcs):
    """Payload bytes -> complex64 unit-power QAM symbols (n_symbols(len(payload), mcs) of them)."""
    mcs = parse(mcs)
    bits = np.unpackbits(np.frombuffer(_frame(payload), np.uint8))
    if mcs.code is not None:
        c = ldpc.code(mcs.code)
        m = -(-bits.size // c.k)
        info = np.zeros(m * c.k, np.uint8)
        info[:bits.size] = bits
        bits = c.encode_batch(info.reshape(m, c.k)).ravel()
    return qam_map(_interleave(bits, mcs.bits_per_symbol), mcs.bits_per_symbol)


def decode(symbols, csi, mcs, threads=0):
    """Received symbols (equalised; zero where lost) and their reliabilities csi = |h|^2/noise_var
    (a scalar or one per symbol; 0 where lost) -> (payload bytes or None, info).

    info: codewords, failed_codewords, iterations (mean), crc_ok, why (when None).
    Non-finite symbols or reliabilities are erasures."""
    from ..jscc_python import soft_demap  # the C++ demapper soft_demapper_cf uses
    mcs = parse(mcs)
    symbols = np.ascontiguousarray(symbols, np.complex64).ravel()
    csi = np.broadcast_to(np.asarray(csi, np.float32), symbols.shape)
    llr = soft_demap(symbols, np.ascontiguousarray(csi), mcs.bits_per_symbol)
    llr = _deinterleave(llr, mcs.bits_per_symbol)
    info = dict(codewords=0, failed_codewords=0, iterations=0.0, crc_ok=False)
    if mcs.code is None:
        bits = (llr < 0).astype(np.uint8)
    else:
        c = ldpc.code(mcs.code)
        m = llr.size // c.n
        info["codewords"] = m
        if m == 0:
            return None, dict(info, why="fewer soft bits than one codeword")
        bits, ok, its = c.decode_batch(np.ascontiguousarray(llr[:m * c.n].reshape(m, c.n)), MAX_ITER, threads)
        info["failed_codewords"] = int(m - np.count_nonzero(ok))
        info["iterations"] = float(np.mean(its))
        bits = bits.ravel()
    data = np.packbits(bits[:bits.size // 8 * 8]).tobytes()
    payload, why = _unframe(data)
    info["crc_ok"] = payload is not None
    if why:
        info["why"] = why
    return payload, info


def _interleave(bits, bps):
    """Row-column: coded bit j + i * n goes to bit i of symbol j (n symbols); zero-padded."""
    n = -(-bits.size // bps)
    padded = np.zeros(n * bps, np.uint8)
    padded[:bits.size] = bits
    return padded.reshape(bps, n).T.ravel()


def _deinterleave(llr, bps):
    n = llr.size // bps
    return np.ascontiguousarray(llr[:n * bps].reshape(n, bps).T).ravel()
