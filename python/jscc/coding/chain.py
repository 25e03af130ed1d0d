"""The digital chain of a BYTES chunk: framing + CRC-32, LDPC, bit interleaving, Gray QAM, and
back from soft symbols. One definition, used by the model-level evaluation and by the GNU Radio
blocks (blocks.chunk_fec) alike, so both send exactly the same symbols.

Frame of a chunk: 4-byte big-endian payload length | payload | CRC-32 (zlib's, over length and
payload), zero-padded to whole LDPC information blocks (uncoded: the frame is one block). Each
block's bits are interleaved row-column as 5G NR's bit interleaver does (TS 38.212 5.4.2.2): the
block, zero-padded to a multiple of the bits per symbol Q (only 8192-bit codewords on 64-QAM need
it: 4 bits), is written row-wise into Q rows and read column-wise, so symbol j of the block
carries bits j, j + E/Q, j + 2E/Q, ...: the systematic bits ride the reliable Gray positions and
every codeword sees every position. (Interleaving across the whole chunk instead would put whole
codewords on the weak positions of 16/64-QAM: half of them would need ~3 dB more.) A chunk is
delivered only when its CRC passes; a chunk whose CRC fails never reaches an image decoder.
"""
import zlib

import numpy as np

from . import ldpc
from .mcs import parse
from .qam import qam_map

OVERHEAD = 8  # length + CRC-32 bytes
MAX_ITER = 50
GIVE_UP_BATCH = 8  # codewords decoded together before decode(give_up=True) checks for a failure
VERSION = 2  # of the symbol layout: results cached by sweeps change with it


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


def _block_symbols(n_bits, bps):
    return -(-n_bits // bps)


def n_symbols(n_bytes, mcs):
    """Channel uses (complex symbols) a payload of n_bytes takes."""
    mcs = parse(mcs)
    if mcs.code is None:
        return _block_symbols((n_bytes + OVERHEAD) * 8, mcs.bits_per_symbol)
    return n_codewords(n_bytes, mcs) * _block_symbols(ldpc.code(mcs.code).n, mcs.bits_per_symbol)


def capacity(channel_uses, mcs):
    """The most payload bytes that fit in channel_uses complex symbols (negative: nothing fits)."""
    mcs = parse(mcs)
    if mcs.code is None:
        return int(channel_uses) * mcs.bits_per_symbol // 8 - OVERHEAD
    c = ldpc.code(mcs.code)
    return (int(channel_uses) // _block_symbols(c.n, mcs.bits_per_symbol)) * c.k // 8 - OVERHEAD


def encode(payload, mcs):
    """Payload bytes -> complex64 unit-power QAM symbols (n_symbols(len(payload), mcs) of them)."""
    mcs = parse(mcs)
    bits = np.unpackbits(np.frombuffer(_frame(payload), np.uint8))
    if mcs.code is None:
        blocks = bits[None]
    else:
        c = ldpc.code(mcs.code)
        m = -(-bits.size // c.k)
        info = np.zeros(m * c.k, np.uint8)
        info[:bits.size] = bits
        blocks = c.encode_batch(info.reshape(m, c.k))
    return qam_map(_interleave(blocks, mcs.bits_per_symbol), mcs.bits_per_symbol)


def decode(symbols, csi, mcs, threads=0, keep_damaged=False, give_up=False):
    """Received symbols (equalised; zero where lost) and their reliabilities csi = |h|^2/noise_var
    (a scalar or one per symbol; 0 where lost) -> (payload bytes or None, info).

    info: codewords, decoded_codewords, failed_codewords, iterations (mean), crc_ok, why (when
    None); with keep_damaged, when the frame fails: damaged, the hard-decided bytes after the
    length field (payload, CRC and padding: for a codec that decodes any bytes and knows its chunk
    length). Non-finite symbols or reliabilities are erasures.

    give_up: decode the codewords in order, GIVE_UP_BATCH at a time, and drop the frame at the
    first batch with a codeword that fails its parity checks, as a 5G receiver drops a transport
    block whose code block fails its CRC (info: decoded_codewords < codewords, why); a failure in
    the last batch is left to the CRC. A failed codeword all but always leaves wrong payload bits,
    so the outcome is the CRC's (measured: identical in 380 of 380 slow-fading frames with a
    failed codeword: JPEG and JPEG 2000, two Kodak images, the 12 paper MCS, 1-19 dB); it saves
    the 50 iterations of every codeword after it: a fading sweep's transmission in outage took
    ~3x less time."""
    from ..jscc_python import soft_demap  # the C++ demapper soft_demapper_cf uses
    mcs = parse(mcs)
    symbols = np.ascontiguousarray(symbols, np.complex64).ravel()
    csi = np.broadcast_to(np.asarray(csi, np.float32), symbols.shape)
    llr = soft_demap(symbols, np.ascontiguousarray(csi), mcs.bits_per_symbol)
    info = dict(codewords=0, failed_codewords=0, iterations=0.0, crc_ok=False)
    if mcs.code is None:
        bits = (_deinterleave(llr, mcs.bits_per_symbol, llr.size) < 0).astype(np.uint8).ravel()
    else:
        c = ldpc.code(mcs.code)
        llr = _deinterleave(llr, mcs.bits_per_symbol, c.n)
        m = llr.shape[0]
        info["codewords"] = m
        if m == 0:
            return None, dict(info, why="fewer soft bits than one codeword")
        # keep_damaged needs every codeword's hard decisions: it never gives up
        batch = GIVE_UP_BATCH if give_up and not keep_damaged else m
        parts, its, failed = [], [], 0
        for i in range(0, m, batch):
            b, ok, it = c.decode_batch(np.ascontiguousarray(llr[i:i + batch]), MAX_ITER, threads)
            parts.append(b)
            its.append(it)
            failed += b.shape[0] - int(np.count_nonzero(ok))
            if failed and batch < m:
                break
        done = sum(p.shape[0] for p in parts)
        info.update(failed_codewords=failed, decoded_codewords=done, iterations=float(np.mean(np.concatenate(its))))
        if done < m:
            return None, dict(info, why="a codeword failed its parity checks")
        bits = np.concatenate(parts).ravel()
    data = np.packbits(bits[:bits.size // 8 * 8]).tobytes()
    payload, why = _unframe(data)
    info["crc_ok"] = payload is not None
    if why:
        info["why"] = why
        if keep_damaged:
            info["damaged"] = data[4:]
    return payload, info


def _interleave(blocks, bps):
    """(m, E) coded blocks -> bits in symbol order: each block zero-padded to a multiple of bps,
    written row-wise into bps rows, read column-wise (TS 38.212 5.4.2.2)."""
    m, e = blocks.shape
    n = _block_symbols(e, bps)
    padded = np.zeros((m, bps * n), np.uint8)
    padded[:, :e] = blocks
    return padded.reshape(m, bps, n).transpose(0, 2, 1).ravel()


def _deinterleave(llr, bps, e):
    """Soft bits in symbol order -> (m, e) per block (whole blocks only; padding dropped)."""
    n = _block_symbols(e, bps)
    m = llr.size // (n * bps)
    return llr[:m * n * bps].reshape(m, n, bps).transpose(0, 2, 1).reshape(m, n * bps)[:, :e]
