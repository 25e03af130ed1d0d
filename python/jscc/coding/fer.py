"""Codeword error rate of each MCS through the real chain (coding.chain: Gray QAM, row-column
interleaving, LDPC decoding from max-log soft bits) over AWGN, measured once by apps/mcs_eval.py
and shipped as mcs_fer.json beside this module.

The slot simulator uses the table as its link abstraction (a codeword landing at SNR s fails with
probability fer(mcs, s)), and the adaptive schemes pick per slot the fastest MCS whose FER at the
SNR they expect stays below a target. The GNU Radio path decodes every codeword for real.
"""
import functools
import json
import os

import numpy as np

from . import chain, ldpc, mcs as mcs_table

TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mcs_fer.json")


def measure(m, snr_db, codewords, rng, threads=0):
    """(failed, decoded) codewords of MCS m at snr_db (AWGN, SNR per complex symbol)."""
    m = mcs_table.parse(m)
    c = ldpc.code(m.code)
    per = 16  # codewords per chunk: the interleaver spreads over them as in a real chunk
    failed = done = 0
    while done < codewords:
        n = min(per, codewords - done)
        payload = rng.integers(0, 256, n * c.k // 8 - chain.OVERHEAD, dtype=np.uint8).tobytes()
        x = chain.encode(payload, m)
        sigma = np.sqrt(10 ** (-snr_db / 10) / 2)
        y = (x + sigma * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size))).astype(np.complex64)
        _, info = chain.decode(y, np.float32(10 ** (snr_db / 10)), m, threads)
        failed += info["failed_codewords"]
        done += info["codewords"]
    return failed, done


@functools.lru_cache(maxsize=None)
def table(path=TABLE):
    """{mcs name: (snr_db array, fer array)} from the shipped measurement."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no MCS error-rate table (make it with apps/mcs_eval.py)") from None
    return {name: (np.asarray(v["snr_db"], float), np.asarray(v["fer"], float)) for name, v in data["mcs"].items()}


def fer(m, snr_db, path=TABLE):
    """Codeword error rate of MCS m at snr_db: log-linear between measured points, the end
    values outside the measured range (1 below it, 0 above: the last points were error-free)."""
    s, f = table(path)[mcs_table.parse(m).name]
    v = 10 ** np.interp(snr_db, s, np.log10(np.maximum(f, 1e-7)))
    return 0.0 if v <= 1e-6 else float(min(v, 1.0))


def threshold(m, target=1e-2, path=TABLE):
    """The lowest SNR at which MCS m's codeword error rate is <= target."""
    s, f = table(path)[mcs_table.parse(m).name]
    ok = np.nonzero(f <= target)[0]
    if not ok.size:
        return float("inf")
    i = ok[0]
    if i == 0:
        return float(s[0])
    # log-linear between the last point above and the first point below the target
    lf = np.log10(np.maximum(f[i - 1:i + 1], 1e-6))
    return float(np.interp(np.log10(target), lf[::-1], s[i - 1:i + 1][::-1]))


def best(snr_db, target=1e-2, margin_db=0.0, candidates=None, path=TABLE):
    """The MCS with the most information bits per channel use whose FER at snr_db - margin_db is
    <= target (None when not even the most robust one makes it)."""
    ok = [m for m in (candidates or mcs_table.PAPER) if threshold(m, target, path) <= snr_db - margin_db]
    return max(ok, key=lambda m: m.bits_per_channel_use) if ok else None
