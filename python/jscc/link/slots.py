"""The slot simulator: images in order (repeated), a time-slotted channel, the scheduler
(link/scheduler.py), every scheme through the same loop. Model level, no GNU Radio.

Channel state per slot:
- trace: the slot's information bits (a per-slot bit budget file x the coding rate, as LIC_TX);
  everything sent arrives (the trace is what the link delivers error-free);
- fading: Rayleigh fading correlated across slots (channels.fading.slot_gains, Clarke's J0 at
  the Doppler frequency), slot SNR = average SNR x |h|^2, `slot_symbols` channel uses per slot.
  The transmitter knows the SNR `csi_delay` slots late and with `csi_noise_db` of error. Digital
  chunks get the fastest MCS whose codeword error rate at the CSI's SNR minus `margin_db` is
  below 1 % (coding/fer.py: measured through the real chain); each codeword then fails with the
  measured error rate at the SNR of the slot it lands in, and a chunk arrives only if all its
  codewords do (its CRC). Analog Deep JSCC symbols see the slot's fade and noise, are equalised
  as the OFDM receiver does (zero forcing: x + n/h) and decoded.

Schemes: "progressive" (a multi-chunk byte codec: chunk sizes from the real encoder, quality
from really decoding what arrived), "oneshot" (an image codec sent as one chunk at the highest
quality that fits what the channel promises over `deadline` slots; adaptive WebP, JPEG 2000 +
LDPC: delivered only if every byte arrives; when not even the lowest quality fits, the image is
skipped and the slot stays idle: the paper's failure at very low SNR), "analog" (Deep JSCC),
"uncoded" (a multi-chunk byte codec whose decoder takes any bytes, progressive-vq: its chunks go
as Gray QAM without LDPC or CRC; per slot the densest modulation whose BER at the CSI's SNR
minus `margin_db` is below `UNCODED_BER`; every symbol is really mapped, faded, given noise
at its slot's SNR and hard-decided, and the received bytes, bit errors and all, are decoded).
"""
import dataclasses

import numpy as np

from ..codecs.base import BYTES
from ..coding import chain, fer, ldpc, mcs as mcs_table, qam
from ..imageio import load_rgb
from ..metrics import ms_ssim, psnr
from .scheduler import Job, Policy, schedule

ROBUST = mcs_table.parse("bpsk-1/3")
UNCODED_BER = 1e-3  # the uncoded scheme's modulation choice: expected BER at most this


@dataclasses.dataclass
class States:
    """Per-slot channel truth and what the transmitter believes."""
    budget: np.ndarray          # units per slot: information bits (trace) or channel uses (fading)
    snr_db: np.ndarray = None   # true slot SNR (fading)
    csi_db: np.ndarray = None   # the transmitter's estimate
    units: str = "bits"         # "bits" | "symbols"
    avg_snr_db: float = None    # the fading channel's average SNR

    @classmethod
    def trace(cls, bits, coding_rate=1.0):
        bits = np.asarray(bits)
        if bits.ndim != 1 or bits.size == 0 or not np.issubdtype(bits.dtype, np.number):
            raise ValueError("a trace must be a non-empty 1-D array of per-slot bit budgets")
        if not np.all(np.isfinite(bits)) or (bits < 0).any():
            raise ValueError("a trace's bit budgets must be finite and >= 0")
        if not 0 < coding_rate <= 1:
            raise ValueError(f"coding rate must be in (0, 1], got {coding_rate}")
        return cls(np.floor(bits.astype(np.float64) * coding_rate))

    @classmethod
    def fading(cls, snr_db, n_slots, doppler_hz, slot_s, slot_symbols, rng, csi_delay=1, csi_noise_db=0.0):
        from ..channels.fading import slot_gains
        g = slot_gains(n_slots + csi_delay, doppler_hz, slot_s, rng)
        snr = snr_db + 10 * np.log10(np.maximum(g, 1e-12))
        csi = np.roll(snr, csi_delay)[csi_delay:] + (rng.normal(0, csi_noise_db, n_slots) if csi_noise_db else 0)
        return cls(np.full(n_slots, float(slot_symbols)), snr[csi_delay:], csi, "symbols", float(snr_db))


class Progressive:
    """A multi-chunk byte codec (the progressive hyperprior): each image encoded once; what
    arrived is decoded for real (prefixes cached)."""

    def __init__(self, codec):
        self.codec, self.name = codec, codec.name
        self._enc, self._q, self._ms = {}, {}, {}

    def prepare(self, path):
        if path not in self._enc:
            img = load_rgb(path)
            chunks = self.codec.encode(img)
            self._enc = {path: (img, chunks)} | {k: v for k, v in list(self._enc.items())[-30:]}
        img, chunks = self._enc[path]
        quals = [self.quality(path, frozenset(range(k + 1))) for k in range(len(chunks))]
        return [c.data.size for c in chunks], quals

    def quality(self, path, arrived):
        key = (path, arrived)
        if key not in self._q:
            img, chunks = self._enc[path]
            out = self.codec.decode({i: chunks[i] for i in arrived}, *img.shape[:2])
            self._q[key] = (psnr(img, out.image), not out.info.get("failed"))
        return self._q[key]


class Uncoded(Progressive):
    """A multi-chunk byte codec sent without FEC or CRC (progressive-vq): every chunk arrives, with
    whatever bit errors its slots gave it, and is decoded as it came."""

    def __init__(self, codec):
        super().__init__(codec)
        self.name = f"{codec.name}-uncoded"

    def received(self, path, flipped):
        """Decode chunks {index: uint8 bytes as received} -> (psnr, decodable, ms_ssim)."""
        img, chunks = self._enc[path]
        out = self.codec.decode({i: dataclasses.replace(chunks[i], data=d) for i, d in flipped.items()},
                                *img.shape[:2])
        return psnr(img, out.image), not out.info.get("failed"), ms_ssim(img, out.image)


def _uncoded_mcs(snr_db, margin_db):
    """The densest Gray QAM whose BER at snr_db - margin_db is at most UNCODED_BER (BPSK otherwise)."""
    for bps, name in ((6, "64qam"), (4, "16qam"), (2, "qpsk")):
        if qam.uncoded_ber(snr_db - margin_db, bps) <= UNCODED_BER:
            return mcs_table.parse(f"{name}-uncoded")
    return mcs_table.parse("bpsk-uncoded")


def _ms_ssim_of(scheme, path, arrived):
    """MS-SSIM of what a progressive scheme decodes from `arrived`, cached (only delivered images
    need it: a separate cache from the PSNRs the scheduler asks for every prefix)."""
    key = (path, arrived)
    if key not in scheme._ms:
        img, chunks = scheme._enc[path]
        scheme._ms[key] = ms_ssim(img, scheme.codec.decode({i: chunks[i] for i in arrived}, *img.shape[:2]).image)
    return scheme._ms[key]


class OneShot:
    """An image codec as one chunk, rate-controlled to what the channel promises."""

    def __init__(self, codec, deadline=4):
        self.codec, self.deadline = codec, deadline
        self.name = f"{codec.name}-adaptive"
        self._img, self._q = {}, {}

    def chunk_for(self, path, n_bytes):
        if path not in self._img:
            self._img = {path: load_rgb(path)}
        img = self._img[path]
        chunks = self.codec.encode(img, int(n_bytes)) if n_bytes > 0 else []
        return img, (chunks[0] if chunks else None)

    def quality(self, path, img, chunk):
        key = (path, chunk.data.size)
        if key not in self._q:
            self._q[key] = psnr(img, self.codec.decode({0: chunk}, *img.shape[:2]).image)
        return self._q[key]

    def ms_ssim(self, path, img, chunk):
        key = (path, chunk.data.size, "ms")
        if key not in self._q:
            self._q[key] = ms_ssim(img, self.codec.decode({0: chunk}, *img.shape[:2]).image)
        return self._q[key]


class Analog:
    """Deep JSCC: one symbol chunk, sent as it is."""

    def __init__(self, codec):
        self.codec, self.name = codec, codec.name
        self._x = {}

    def symbols(self, path):
        if path not in self._x:
            img = load_rgb(path)
            self._x = {path: (img, self.codec.encode_symbols(img))}
        return self._x[path]


def scheme_for(codec, deadline=4, uncoded=None):
    """The scheme a codec runs as. uncoded: its chunks without FEC; None: so when the codec
    decodes any bytes (codec.bit_error_tolerant, progressive-vq), else coded."""
    if uncoded is None:
        uncoded = bool(getattr(codec, "bit_error_tolerant", False))
    if uncoded:
        if codec.kind != BYTES or codec.max_chunks(512, 768) < 2:
            raise ValueError(f"{codec.name}: only a multi-chunk byte codec is sent uncoded")
        return Uncoded(codec)
    if codec.kind == BYTES and codec.max_chunks(512, 768) > 1:
        return Progressive(codec)
    if codec.kind == BYTES:
        return OneShot(codec, deadline)
    return Analog(codec)


def simulate(scheme, paths, states, policy=None, margin_db=1.0, rng=None, slot_s=0.01, max_images=None):
    """Run the slots; returns (per-image records, summary). Records: image, start, end, waiting,
    delivered, psnr_db, ms_ssim, chunks_planned, chunks_ok, mcs (uncoded: bit_errors)."""
    policy = policy or Policy()
    rng = rng or np.random.default_rng(0)
    n_slots = states.budget.size
    if isinstance(scheme, Analog) and states.units != "symbols":
        raise ValueError(f"{scheme.name} sends analog symbols: it needs a fading channel, not a bit-budget trace")
    budget = states.budget
    fading = states.units == "symbols"
    expected = lambda t: _expected(states, t, margin_db)  # noqa: E731
    queue, records, sent_units = [], [], 0.0
    # per job: [(slot, chunk, units)] as it went out
    log = {}
    image_i = 0

    def next_job(t):
        nonlocal image_i
        p = paths[image_i % len(paths)]
        image_i += 1
        if isinstance(scheme, Progressive):
            sizes, quals = scheme.prepare(p)
            return Job((image_i - 1, p), sizes, [q for q, _ in quals])
        if isinstance(scheme, Analog):
            img, x = scheme.symbols(p)
            return Job((image_i - 1, p), [x.size * 8], None)  # sized so analog cost() gives x.size
        # one-shot: the quality that fits the promise over the deadline, at this slot's MCS
        m = _mcs(states, t, margin_db) if fading else None
        promise = expected(t) * scheme.deadline
        n_bytes = (chain.capacity(promise, m) if fading else int(promise // 8) - chain.OVERHEAD)
        img, chunk = scheme.chunk_for(p, n_bytes)
        job = Job((image_i - 1, p), [chunk.data.size] if chunk is not None else [], None)
        job.payload = (img, chunk)
        return job

    for t in range(n_slots):
        if max_images is not None and len(records) >= max_images:
            break
        if not queue:
            queue.append(next_job(t))
        if isinstance(scheme, OneShot) and queue[0].start is None and not queue[0].sizes:
            j = queue.pop(0)  # nothing fits the promise: skipped, the slot stays idle
            records.append(dict(image=j.key[1], start=t, end=t, waiting=1, delivered=False, psnr_db=None,
                                chunks_planned=0, chunks_ok=0, mcs=None, skipped=True))
            continue

        def cost(n_bytes, t=t):
            if isinstance(scheme, Analog):
                return n_bytes // 8, None
            if isinstance(scheme, Uncoded):  # the bytes alone: no CRC, no code
                if not fading:
                    return 8 * n_bytes, None
                m = _uncoded_mcs(states.csi_db[t], margin_db)
                return -(-8 * n_bytes // m.bits_per_symbol), m.name
            if not fading:
                return 8 * (n_bytes + chain.OVERHEAD), None
            m = _mcs(states, t, margin_db)
            return chain.n_symbols(n_bytes, m), m.name

        # keep a job waiting behind the head so the next image starts in the same slot
        while len(queue) < 2:
            queue.append(next_job(t))
        out, finished = schedule(queue, budget[t], t, policy, cost, expected(t))
        for job, chunk, first, units in out:
            log.setdefault(id(job), []).append((t, chunk, first, units))
            sent_units += units
        for job in finished:
            records.append(_deliver(scheme, job, log.pop(id(job), []), states, rng))
    used = sent_units / max(float(budget[:t + 1].sum()), 1.0)
    return records, summarise(records, t + 1, slot_s, used, paths)


def _expected(states, t, margin_db):
    """Units one slot is expected to carry (the CSI's view)."""
    if states.units == "bits":
        return float(states.budget[max(t - 1, 0)])  # last slot's budget: what the transmitter knows
    return float(states.budget[t])


def _mcs(states, t, margin_db):
    return fer.best(states.csi_db[t], 1e-2, margin_db) or ROBUST


def _deliver(scheme, job, log, states, rng):
    """What arrived of a finished job: per chunk, whether every codeword survived its slots."""
    key, path = job.key
    rec = dict(image=path, start=job.start, end=job.end, waiting=job.end - job.start + 1,
               chunks_planned=job.plan, mcs=[m for m in (job.meta or [])])
    fading = states.units == "symbols"
    if isinstance(scheme, Analog):
        img, x = scheme.symbols(path)
        y = x.copy()
        if fading:  # each symbol sees its slot's fade; the receiver equalises it (ZF, as ofdm_demod_cc)
            pos = 0
            s2 = 10 ** (-states.avg_snr_db / 10)
            for t, chunk, first, units in log:
                n = int(round(units))
                g = 10 ** ((states.snr_db[t] - states.avg_snr_db) / 10)
                seg = slice(pos, pos + n)
                noise = np.sqrt(s2 / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
                y[seg] = x[seg] + noise / np.sqrt(max(g, 1e-12))
                pos += n
        out = scheme.codec.decode_symbols(y, *img.shape[:2])
        rec.update(delivered=True, psnr_db=psnr(img, out), ms_ssim=ms_ssim(img, out), chunks_ok=1)
        return rec
    if isinstance(scheme, Uncoded):
        img, chunks = scheme._enc[path]
        flipped, errors = {}, 0
        for c in range(job.plan):
            parts = [(t, units) for t, ch, first, units in log if ch == c]
            data = chunks[c].data
            if fading:
                data = _uncoded_link(data, job.meta[c], parts, states, rng)
                errors += int(np.unpackbits(data ^ chunks[c].data).sum())
            flipped[c] = data
        q, decodable, ms = scheme.received(path, flipped)
        rec.update(delivered=decodable, psnr_db=q if decodable else None, ms_ssim=ms if decodable else None,
                   chunks_ok=len(flipped), bit_errors=errors)
        return rec
    ok = []
    for c in range(job.plan):
        parts = [(t, first, units) for t, ch, first, units in log if ch == c]
        ok.append(_chunk_survives(parts, job.meta[c], states, rng) if fading else True)
    arrived = frozenset(i for i, k in enumerate(ok) if k)
    rec["chunks_ok"] = len(arrived)
    if isinstance(scheme, Progressive):
        q, decodable = scheme.quality(path, arrived)
        rec.update(delivered=decodable, psnr_db=q if decodable else None,
                   ms_ssim=_ms_ssim_of(scheme, path, arrived) if decodable else None)
    else:
        img, chunk = job.payload
        got = chunk is not None and bool(ok) and ok[0]
        rec.update(delivered=got, psnr_db=scheme.quality(path, img, chunk) if got else None,
                   ms_ssim=scheme.ms_ssim(path, img, chunk) if got else None,
                   n_bytes=chunk.data.size if chunk is not None else 0, skipped=chunk is None)
    return rec


def _uncoded_link(data, mcs_name, parts, states, rng):
    """A chunk's bytes through Gray QAM, each symbol faded and noised at the SNR of the slot it
    went out in (coherent, zero-forcing: noise variance 1 / slot SNR), hard decisions -> bytes."""
    bps = mcs_table.parse(mcs_name).bits_per_symbol
    x, n_bits = qam.bytes_to_symbols(data.tobytes(), bps)
    snr = np.concatenate([np.full(int(round(u)), states.snr_db[t]) for t, u in parts] or [np.zeros(0)])
    snr = np.resize(snr, x.size) if snr.size else np.full(x.size, states.snr_db[parts[-1][0]] if parts else 0.0)
    sigma = np.sqrt(10 ** (-snr / 10) / 2)
    y = x + sigma * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size))
    return np.packbits(qam.qam_hard(y, bps)[:n_bits])


def _chunk_survives(parts, mcs_name, states, rng):
    """A digital chunk's codewords, in order, each in the slot(s) its symbols landed in: it
    survives if every codeword does (the worst slot a codeword touches decides it)."""
    m = mcs_table.parse(mcs_name)
    per_cw = -(-ldpc.code(m.code).n // m.bits_per_symbol)
    # symbol ranges per slot, in stream order
    pos, spans = 0.0, []
    for t, first, units in parts:
        spans.append((pos, pos + units, t))
        pos += units
    n_cw = int(round(pos / per_cw))
    for k in range(n_cw):
        a, b = k * per_cw, (k + 1) * per_cw
        slots = [t for lo, hi, t in spans if lo < b and hi > a]
        snr = min(states.snr_db[t] for t in slots)
        if rng.random() < fer.fer(m, snr):
            return False
    return True


def summarise(records, n_slots, slot_s, used, paths):
    """The metrics (docs/progressive.md, Metrics): images completed, quality, throughput, waiting."""
    done = [r for r in records if r["delivered"]]
    px = 0
    sizes = {}
    for r in done:
        if r["image"] not in sizes:
            from PIL import Image
            with Image.open(r["image"]) as im:
                sizes[r["image"]] = im.width * im.height
        px += sizes[r["image"]]
    w = np.array([r["waiting"] for r in records if r.get("delivered")], float)
    pct = lambda q: float(np.percentile(w, q)) if w.size else None  # noqa: E731
    return dict(images_completed=len(done), images_attempted=len(records),
                mean_psnr_db=float(np.mean([r["psnr_db"] for r in done])) if done else None,
                mean_ms_ssim=float(np.mean([r["ms_ssim"] for r in done])) if done else None,
                throughput_px_per_s=px / (n_slots * slot_s), slots=n_slots, slot_s=slot_s,
                waiting_slots_mean=float(w.mean()) if w.size else None, waiting_slots_p50=pct(50),
                waiting_slots_p99=pct(99), waiting_slots_p999=pct(99.9),
                bits_used_fraction=round(used, 4))
