"""LDPC link simulation: BPSK over AWGN, the PyPI ``ldpc`` reference decoder, FER/BER at an
Eb/N0 and decoder throughput. The codes are the C++ ``ldpc_code`` (docs/ldpc.md).

Eb/N0 is counted on information bits: sigma^2 = 1 / (2 R Eb/N0), BPSK maps bit 0 to +1 and
the LLRs are 2 y / sigma^2 = log P(0)/P(1).
"""
import time

import numpy as np

from ..jscc_python import ldpc_code

BENCH_CODE = "8192-1/2"
BENCH_EBN0_DB = 2.0


def bpsk_awgn_llr(coded, rate, ebn0_db, rng):
    """Coded bits (any shape) -> float32 LLRs of BPSK over AWGN at ebn0_db per information bit."""
    sigma2 = 1.0 / (2.0 * rate * 10.0 ** (ebn0_db / 10.0))
    y = (1.0 - 2.0 * np.asarray(coded, np.float64)) + rng.normal(0.0, np.sqrt(sigma2), np.shape(coded))
    return (2.0 * y / sigma2).astype(np.float32)


def noisy_frames(code, ebn0_db, count, rng):
    """Random info bits (count, k) and the LLRs (count, n) of their codewords."""
    info = rng.integers(0, 2, (count, code.k), dtype=np.uint8)
    return info, bpsk_awgn_llr(code.encode_batch(info), code.rate, ebn0_db, rng)


class reference_decoder:
    """PyPI ldpc 2.x BpDecoder on our code's mother parity-check matrix: min-sum with the C++
    decoder's normalisation (for all iterations: it has no late one) and iteration limit.
    Schedule "serial" (bit by bit, in column order), the counterpart of our layered
    (check-serial) one; "parallel" is flooding.
    Punctured and unsent bits enter as erasures, fillers as known zeros."""

    FILLER_LLR = 30.0  # P(1) ~ 1e-13

    def __init__(self, code, max_iter=50, schedule="serial"):
        import scipy.sparse
        from ldpc import BpDecoder

        pc = code.parity_check()
        h = scipy.sparse.csr_matrix((np.ones(pc["rows"].size, np.uint8), (pc["rows"], pc["cols"])),
                                    shape=pc["shape"])
        self.k = code.k
        self.tx = pc["tx_columns"]
        self.fillers = pc["filler_columns"]
        self.columns = pc["shape"][1]
        order = {"serial_schedule_order": list(range(self.columns))} if schedule == "serial" else {}
        self.bp = BpDecoder(h, error_rate=0.1, max_iter=max_iter, bp_method="minimum_sum",
                            ms_scaling_factor=float(ldpc_code.scaling), schedule=schedule,
                            input_vector_type="received_vector", **order)

    def decode(self, llr):
        """LLRs (n) -> (info bits, converged, iterations)."""
        m = np.zeros(self.columns)
        m[self.tx] = np.nan_to_num(np.asarray(llr, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        m[self.fillers] = self.FILLER_LLR
        # BpDecoder takes hard bits and per-bit flip probabilities: LLR = log((1 - p) / p)
        self.bp.update_channel_probs(1.0 / (1.0 + np.exp(np.abs(m))))
        out = self.bp.decode((m < 0).astype(np.uint8))
        return out[:self.k].astype(np.uint8), bool(self.bp.converge), int(self.bp.iter)


def simulate(code, ebn0_db, frames, seed=1, max_iter=50, threads=0, reference_frames=0, batch=500,
             progress=None):
    """FER/BER of `code` (ldpc_code) at one Eb/N0 (a frame error: any info bit wrong;
    syndrome_failures: frames whose decoding did not satisfy the syndrome, what ldpc_ok reports;
    undetected_errors: frames with wrong info bits that satisfied it, a valid but wrong codeword);
    the first `reference_frames` of the same noisy frames also go through the reference decoder.
    `progress(frames_done)` after each batch. Seeded per point, so a point does not depend on the
    others."""
    rng = np.random.default_rng([seed, int(round(ebn0_db * 1000)) & 0xFFFFFFFF])
    ref = reference_decoder(code, max_iter) if reference_frames else None
    frame_errors = bit_errors = iters = failed = undetected = 0
    ref_errors = ref_iters = ref_done = agree = 0
    done = 0
    while done < frames:
        m = min(batch, frames - done)
        info, llr = noisy_frames(code, ebn0_db, m, rng)
        bits, ok, it = code.decode_batch(llr, max_iter, threads)
        wrong = np.count_nonzero(bits != info, axis=1)
        frame_errors += int(np.count_nonzero(wrong))
        bit_errors += int(wrong.sum())
        iters += int(it.sum())
        failed += int(np.count_nonzero(~ok))
        undetected += int(np.count_nonzero(ok & (wrong > 0)))
        for i in range(min(m, reference_frames - ref_done)):
            rbits, _, rit = ref.decode(llr[i])
            rwrong = not np.array_equal(rbits, info[i])
            ref_errors += rwrong
            ref_iters += rit
            agree += rwrong == bool(wrong[i])
            ref_done += 1
        done += m
        if progress:
            progress(m)
    r = {"ebn0_db": float(ebn0_db), "frames": int(frames), "fer": frame_errors / frames,
         "ber": bit_errors / (frames * code.k), "mean_iterations": iters / frames,
         "frame_errors": frame_errors, "syndrome_failures": failed, "undetected_errors": undetected,
         "reference_frames": ref_done}
    if ref_done:
        r.update(reference_fer=ref_errors / ref_done, reference_frame_errors=ref_errors,
                 reference_mean_iterations=ref_iters / ref_done, agreement=agree / ref_done)
    else:
        r["reference_fer"] = None
    return r


def ebn0_at(rows, target=1e-2, key="fer"):
    """Eb/N0 where rows[key] (FER or reference_fer, falling with Eb/N0) crosses target, by
    log-linear interpolation between the two points around it; None when no pair brackets it."""
    pts = [(r["ebn0_db"], r[key]) for r in rows if r.get(key) is not None]
    for (e0, f0), (e1, f1) in zip(pts, pts[1:]):
        if f0 >= target > f1:
            if f1 == 0:  # no errors at e1: the crossing is at most e1
                return e1
            return e0 + (e1 - e0) * (np.log(f0) - np.log(target)) / (np.log(f0) - np.log(f1))
    return None


def benchmark(frames=2000, reference_frames=100, threads=0, seed=0, repeats=3):
    """Information bits per second of the batch decoder (all cores unless `threads`) and of the
    reference decoder (one core, its faster schedule), code 8192-1/2, BPSK AWGN at Eb/N0 2 dB,
    wall clock, median of `repeats` runs on the same frames. Returns ldpc_decode_mbps,
    ldpc_reference_mbps and the details."""
    code = ldpc_code(BENCH_CODE)
    info, llr = noisy_frames(code, BENCH_EBN0_DB, frames, np.random.default_rng(seed))
    code.decode_batch(llr[:threads or 4], 50, threads)  # warm-up: pages, thread start
    ours, errors = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        bits, ok, it = code.decode_batch(llr, 50, threads)
        ours.append(frames * code.k / (time.perf_counter() - t0) / 1e6)
        errors = int(np.count_nonzero(np.any(bits != info, axis=1)))
    # the reference at its fastest: flooding needs more iterations but each is cheaper
    theirs = {}
    for schedule in ("serial", "parallel"):
        ref, rates = reference_decoder(code, schedule=schedule), []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for i in range(reference_frames):
                ref.decode(llr[i])
            rates.append(reference_frames * code.k / (time.perf_counter() - t0) / 1e6)
        theirs[schedule] = float(np.median(rates))
    return {"ldpc_decode_mbps": float(np.median(ours)), "ldpc_reference_mbps": max(theirs.values()),
            "ldpc_reference_serial_mbps": theirs["serial"], "ldpc_reference_flooding_mbps": theirs["parallel"],
            "ldpc_code": BENCH_CODE, "ldpc_ebn0_db": BENCH_EBN0_DB, "ldpc_frames": frames,
            "ldpc_frame_errors": errors, "ldpc_mean_iterations": float(it.mean()),
            "ldpc_reference_frames": reference_frames, "ldpc_kernel": code.kernel}
