"""Model-level evaluation of any registered scheme: codec + the digital chain + a numpy channel,
no GNU Radio. apps/evaluate.py and the paper reproduction parse arguments and call this.

Analog (symbol) codecs: the symbols go through the channel as they are (channels.sim.apply).
Digital (byte) codecs, the Deep JSCC paper's separation baselines:
- fec "ldpc": the highest quality that fits what the MCS carries in the image's channel uses at
  k/n = 1/kn (coding.chain.capacity), CRC-32 + LDPC + QAM, every codeword really decoded from
  soft bits (coherent receiver, channels.sim.coherent); a chunk whose CRC fails gives the
  paper's mean-colour image.
- fec "capacity": the separation bound (Eq. 6-7): compress at the largest rate that fits
  channel_uses x log2(1 + SNR) bits, delivered without error; over slow Rayleigh the rate is
  chosen at the average SNR and a realization whose capacity log2(1 + |h|^2 SNR) falls below it
  is an outage (mean colour).
Seeded by file name and SNR: an image gets the same noise in any folder or SNR list.
"""
import os
import zlib

import numpy as np
from tqdm import tqdm

from .channels import sim
from .codecs.base import BYTES, Chunk
from .coding import chain, mcs as mcs_table
from .imageio import ImageError, load_rgb
from .metrics import ms_ssim, psnr, ssim

FECS = ("ldpc", "capacity")


def _rng(seed, path, snr):
    return np.random.default_rng([seed, zlib.crc32(os.path.basename(path).encode()), int(round(snr * 1000)) & 0xFFFFFFFF])


class Digital:
    """One byte codec at one (kn, mcs, fec): encodes each image once, transmits it many times.
    A chunk either arrives whole (CRC passed: the exact bitstream) or not at all, so each image
    has two possible received images; their quality is computed once (metrics())."""

    def __init__(self, codec, kn, mcs, fec, channel, threads=0):
        if fec not in FECS:
            raise ValueError(f"fec must be one of {FECS}, got {fec!r}")
        if not kn or kn <= 0:
            raise ValueError("a digital scheme needs --kn (bandwidth ratio k/n = 1/kn)")
        self.codec, self.kn, self.fec, self.channel, self.threads = codec, int(kn), fec, channel, threads
        self.mcs = mcs_table.parse(mcs) if fec == "ldpc" else None
        self._cache = {}
        self._metrics = {}
        self._image = (None, None, None)  # (path, side info, sent symbols) of the image being transmitted

    def _per_image(self, path, img, chunk):
        """Side info and, with a chunk, its QAM symbols: the same for every realization of an image
        (evaluate() runs image by image), so made once (they were ~20 % of a fading sweep's time)."""
        if self._image[0] != path:
            self._image = (path, self.codec.side_info(img), None)
        if chunk is not None and self._image[2] is None:
            self._image = (path, self._image[1], chain.encode(chunk.data.tobytes(), self.mcs))
        return self._image[1], self._image[2]

    def label(self):
        return self.mcs.name if self.mcs else "capacity"

    def metrics(self, path, img, received, ok, with_ssim):
        """(psnr, ssim) of a received image, computed once per (image, outcome)."""
        key = (path, ok, self.label(), received.shape)
        if key not in self._metrics or (with_ssim and self._metrics[key][1] is None):
            self._metrics[key] = (psnr(img, received), ssim(img, received) if with_ssim else None)
        return self._metrics[key]

    def _encoded(self, key, img, budget):
        if key not in self._cache:
            chunks = self.codec.encode(img, budget) if budget > 0 else []
            self._cache[key] = chunks[0] if chunks else None
        return self._cache[key]

    def transmit(self, path, img, snr, rng):
        """-> (received image, info dict: bits_sent, failed)."""
        h, w = img.shape[:2]
        k = chain.channel_uses(h, w, self.kn)
        if self.fec == "capacity":
            side = self._per_image(path, img, None)[0]
            budget = int(k * np.log2(1 + 10 ** (snr / 10)) // 8)
            chunk = self._encoded((path, "cap", budget), img, budget)
            ok = chunk is not None
            if ok and self.channel == "rayleigh":
                g = abs((rng.standard_normal() + 1j * rng.standard_normal()) / np.sqrt(2)) ** 2
                ok = k * np.log2(1 + g * 10 ** (snr / 10)) >= chunk.data.size * 8  # else outage
            elif self.channel not in sim.CHANNELS:
                raise ValueError(f"unknown channel {self.channel!r}")
            bits = chunk.data.size * 8 if chunk is not None else 0
            out = self.codec.decode({0: chunk if ok else None}, h, w, side=side)
            return out.image, dict(bits_sent=bits, failed=bool(out.info.get("failed")))
        budget = chain.capacity(k, self.mcs)
        chunk = self._encoded((path, self.mcs.name), img, budget)
        side, x = self._per_image(path, img, chunk)
        if chunk is None:
            out = self.codec.decode({}, h, w, side=side)
            return out.image, dict(bits_sent=0, failed=True)
        y, csi = sim.coherent(self.channel, x, snr, rng)
        payload, info = chain.decode(y, csi, self.mcs, self.threads, give_up=True)
        got = None if payload is None else Chunk(0, BYTES, np.frombuffer(payload, np.uint8))
        out = self.codec.decode({0: got}, h, w, side=side)
        return out.image, dict(bits_sent=int(x.size * self.mcs.bits_per_symbol), failed=bool(out.info.get("failed")),
                               failed_codewords=info["failed_codewords"], codewords=info["codewords"])


class Analog:
    """A symbol codec: encode once per image (and SNR, for an SNR-input codec), the channel per
    realization.

    An SNR-input codec (codec.snr_input) is told the true SNR, as if the estimates were exact:
    the encoder the channel's (average) SNR, the decoder the SNR of what it receives. Over
    "rayleigh" that receiver is the OFDM receiver's: it knows h, divides by it and measures the
    instantaneous SNR |h|^2 * SNR; the encoder knows only the average. Codecs without an SNR input
    get the paper's receiver (phase removed, amplitude left: channels.sim). Both draw the same
    numbers for the same seed."""

    def __init__(self, codec, channel):
        self.codec, self.channel = codec, channel
        self._cache = {}

    def label(self):
        return self.codec.name

    def transmit(self, path, img, snr, rng):
        key = (path, snr if self.codec.snr_input else None)
        if key not in self._cache:
            self._cache = {key: self.codec.encode_symbols(img, snr)}  # one image at a time: bounded memory
        x = self._cache[key]
        if self.codec.snr_input and self.channel == "rayleigh":
            y, h = sim.rayleigh(x, snr, rng)  # phase removed: y = |h| x + n
            g = max(abs(h), 1e-30)
            y, snr_rx = (y / g).astype(np.complex64), snr + 20 * np.log10(g)
        else:
            y, snr_rx = sim.apply(self.channel, x, snr, rng), snr
        return self.codec.decode_symbols(y, *img.shape[:2], snr_rx), dict(bits_sent=0, failed=False)


def scheme(codec, channel, kn=0, mcs=None, fec="ldpc", threads=0):
    """The transmitter/receiver pair for a codec: Analog for symbol codecs, Digital for byte codecs."""
    if channel not in sim.CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; choose from {sim.CHANNELS}")
    if codec.kind == BYTES:
        if codec.max_chunks(1, 1) > 1:  # Digital sends one chunk per image
            raise ValueError(f"{codec.name} sends several chunks: the model-level chain models one; "
                             f"measure its rate-distortion with --groups")
        return Digital(codec, kn, mcs or "qpsk-1/2", fec, channel, threads)
    return Analog(codec, channel)


def evaluate(tx, paths, snrs, realizations, seed, with_ssim=True, progress=True, desc="evaluate"):
    """Returns (results per SNR, per-image rows, skipped files). A result: snr_db, psnr_db, ssim,
    decode_failures (transmissions whose codec could not decode: mean colour), bits_sent (mean).
    with_ssim: True for every realization, an int N for the first N of each image and SNR (SSIM
    costs more than a Deep JSCC decode), False for none."""
    n_ssim = realizations if with_ssim is True else int(with_ssim)
    per = {s: dict(ps=[], ss=[], fail=0, bits=[]) for s in snrs}
    rows, skipped = [], []
    bar = tqdm(total=len(paths) * len(snrs) * realizations, desc=desc, disable=not progress, mininterval=2)
    for p in paths:
        try:
            img = load_rgb(p)
        except ImageError as e:
            skipped.append(str(e))
            bar.update(len(snrs) * realizations)
            continue
        for snr in snrs:
            rng = _rng(seed, p, snr)
            ps, ss = [], []
            for i in range(realizations):
                y, info = tx.transmit(p, img, snr, rng)
                want_ssim = i < n_ssim
                if isinstance(tx, Digital) and tx.fec == "ldpc":
                    q, s_ = tx.metrics(p, img, y, not info["failed"], want_ssim)
                else:
                    q, s_ = psnr(img, y), ssim(img, y) if want_ssim else None
                ps.append(q)
                if want_ssim:
                    ss.append(s_)
                per[snr]["fail"] += info["failed"]
                per[snr]["bits"].append(info["bits_sent"])
                bar.update(1)
            per[snr]["ps"].extend(ps)
            per[snr]["ss"].extend(ss)
            rows.append({"image": os.path.basename(p), "snr_db": snr, "psnr_db": float(np.mean(ps)),
                         "ssim": float(np.mean(ss)) if ss else None})
    bar.close()
    results = []
    for s, v in per.items():
        if not v["ps"]:
            continue
        r = {"snr_db": s, "psnr_db": round(float(np.mean(v["ps"])), 3),
             "ssim": round(float(np.mean(v["ss"])), 4) if v["ss"] else None,
             "psnr_std_err": round(float(np.std(v["ps"]) / np.sqrt(len(v["ps"]))), 3)}
        if isinstance(tx, Digital):
            r.update(mcs=tx.label(), bits_sent=int(np.mean(v["bits"])), decode_failures=int(v["fail"]),
                     transmissions=len(v["ps"]))
        results.append(r)
    return results, rows, skipped


def best_mcs(codec, channel, kn, paths, snrs, realizations, seed, with_ssim=True, progress=True, threads=0):
    """The paper's envelope: per SNR the MCS (of the 12) with the highest mean PSNR. Returns
    (results with the chosen mcs per SNR, {mcs: results} for every MCS)."""
    per_mcs = {}
    for m in mcs_table.PAPER:
        tx = Digital(codec, kn, m, "ldpc", channel, threads)
        per_mcs[m.name], _, _ = evaluate(tx, paths, snrs, realizations, seed, with_ssim, progress, desc=m.name)
    best = []
    for i, s in enumerate(snrs):
        cands = [(res[i]["psnr_db"], name) for name, res in per_mcs.items() if i < len(res)]
        if cands:
            _, name = max(cands)
            best.append(dict(per_mcs[name][i], mcs=name))
    return best, per_mcs


def _each_encoded(codec, paths, desc, progress, skipped):
    """(path, image, chunks) for every readable image, each encoded once; unreadable ones are
    appended to skipped."""
    for p in tqdm(paths, desc=desc, disable=not progress, mininterval=2):
        try:
            img = load_rgb(p)
        except ImageError as e:
            skipped.append(str(e))
            continue
        yield p, img, codec.encode(img)


def _prefixes(codec, chunks, counts, what):
    """The numbers of leading chunks to decode (default: every prefix), each checked."""
    for n in counts or range(1, len(chunks) + 1):
        if not 1 <= n <= len(chunks):
            raise ValueError(f"{n} {what} asked for; {codec.name} sends 1..{len(chunks)}")
        yield n


def rate_distortion(codec, paths, groups=None, with_ssim=True, progress=True):
    """A progressive codec's rate-distortion from real bitstreams, no channel: each image encoded
    once, decoded from the first g chunks for every g in groups (default: 1..max). Returns
    (results, per-image rows, skipped files); a result: groups, bpp (mean over images of the
    chunks' bytes x 8 / pixels), psnr_db, ssim (means over images)."""
    per, rows, skipped = {}, [], []
    for p, img, chunks in _each_encoded(codec, paths, "rate-distortion", progress, skipped):
        h, w = img.shape[:2]
        for g in _prefixes(codec, chunks, groups, "groups"):
            out = codec.decode({c.index: c for c in chunks[:g]}, h, w)
            r = {"image": os.path.basename(p), "groups": g,
                 "bpp": 8 * sum(c.data.size for c in chunks[:g]) / (h * w),
                 "psnr_db": psnr(img, out.image), "ssim": ssim(img, out.image) if with_ssim else None}
            rows.append(r)
            per.setdefault(g, []).append(r)
    results = [{"groups": g, "bpp": round(float(np.mean([r["bpp"] for r in v])), 4),
                "psnr_db": round(float(np.mean([r["psnr_db"] for r in v])), 3),
                "ssim": round(float(np.mean([r["ssim"] for r in v])), 4) if with_ssim else None}
               for g, v in sorted(per.items())]
    return results, rows, skipped


def flip_bits(data, ber, rng):
    """Independent bit flips at rate ber on a uint8 array (a copy): an uncoded link's hard decisions."""
    data = np.asarray(data, np.uint8)
    if ber <= 0 or data.size == 0:
        return data.copy()
    return data ^ np.packbits(rng.random(data.size * 8) < ber)


def bit_errors(codec, paths, stages=None, bers=(0.0,), realizations=1, seed=0, with_ssim=True, progress=True):
    """A multi-chunk byte codec's first `stages` chunks sent without FEC or CRC: every bit flips
    independently with probability ber, whatever arrives is decoded. Each image is encoded once;
    per (stages, ber) `realizations` flip patterns (seeded by file name, stages and ber). Returns
    (results, per-image rows, skipped files); a result: stages, ber, bpp, psnr_db, ssim, ms_ssim
    (means over images and realizations), psnr_std_err, bit_flips (mean per transmission),
    decode_failures (transmissions the codec could not decode at all: its failure image),
    corrupt_chunks (chunks the codec found damaged and left out), transmissions."""
    for b in bers:
        if not 0 <= b <= 0.5:
            raise ValueError(f"a bit error rate must be in [0, 0.5], got {b}")
    if realizations < 1:
        raise ValueError("realizations must be >= 1")
    per, rows, skipped = {}, [], []
    for p, img, chunks in _each_encoded(codec, paths, "bit errors", progress, skipped):
        h, w = img.shape[:2]
        for s in _prefixes(codec, chunks, stages, "stages"):
            sent = chunks[:s]
            for ber in bers:
                rng = np.random.default_rng([seed, zlib.crc32(os.path.basename(p).encode()), s,
                                             int(round(ber * 1e9))])
                acc = dict(ps=[], ss=[], ms=[], flips=0, fail=0, corrupt=0)
                for _ in range(realizations):
                    got = {c.index: Chunk(c.index, BYTES, flip_bits(c.data, ber, rng), c.meta) for c in sent}
                    acc["flips"] += sum(int(np.unpackbits(g.data ^ c.data).sum()) for g, c in zip(got.values(), sent))
                    out = codec.decode(got, h, w)
                    acc["fail"] += bool(out.info.get("failed"))
                    acc["corrupt"] += len(out.info.get("corrupt", {}))
                    acc["ps"].append(psnr(img, out.image))
                    if with_ssim:
                        acc["ss"].append(ssim(img, out.image))
                        acc["ms"].append(ms_ssim(img, out.image))
                r = {"image": os.path.basename(p), "stages": s, "ber": ber,
                     "bpp": 8 * sum(c.data.size for c in sent) / (h * w), "psnr_db": float(np.mean(acc["ps"])),
                     "ssim": float(np.mean(acc["ss"])) if with_ssim else None,
                     "ms_ssim": float(np.mean(acc["ms"])) if with_ssim else None}
                rows.append(r)
                per.setdefault((s, ber), []).append((r, acc))
    results = []
    for (s, ber), v in sorted(per.items()):
        ps = [q for _, acc in v for q in acc["ps"]]
        n = len(ps)
        mean = lambda key: round(float(np.mean([x for _, acc in v for x in acc[key]])), 4) if with_ssim else None  # noqa: E731
        results.append({"stages": s, "ber": ber, "bpp": round(float(np.mean([r["bpp"] for r, _ in v])), 4),
                        "psnr_db": round(float(np.mean(ps)), 3), "ssim": mean("ss"), "ms_ssim": mean("ms"),
                        "psnr_std_err": round(float(np.std(ps) / np.sqrt(n)), 3),
                        "bit_flips": round(sum(acc["flips"] for _, acc in v) / n, 2),
                        "decode_failures": int(sum(acc["fail"] for _, acc in v)),
                        "corrupt_chunks": int(sum(acc["corrupt"] for _, acc in v)), "transmissions": n})
    return results, rows, skipped
