"""Sweeps of model-level evaluations that resume, skip what is already computed, and scale out.

A Point is one scheme on one image over a list of SNRs (evaluation.evaluate on a single image);
its result is cached in a JSON-lines file under a key that includes the scheme's card (so a
re-exported model is recomputed, an unchanged point never is). Points run in order, on local
worker processes, or on a Ray cluster (`ray_address`: "local" starts one on this machine).
"""
import dataclasses
import hashlib
import json
import os

from tqdm import tqdm

CACHE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Point:
    model: str                  # scheme name or folder
    channel: str
    image: str                  # path
    snrs: tuple
    realizations: int
    kn: int = 0                 # digital schemes
    mcs: str = ""               # digital: an MCS name, or "" with fec "capacity"
    fec: str = ""               # "ldpc" | "capacity" | "" (analog)
    seed: int = 0
    ssim_realizations: int = 0  # SSIM from the first N realizations (0: none)

    def key(self):
        from .models import find_model, load_card
        path = find_model(self.model)
        h = hashlib.sha1()
        for f in sorted(os.listdir(path)):  # what decides the numbers: the graphs and the card's settings,
            if f.endswith(".onnx"):          # not its prose or the figures stored in it
                with open(os.path.join(path, f), "rb") as fh:
                    h.update(f.encode() + fh.read())
        card = load_card(path)
        h.update(json.dumps({k: v for k, v in card.items() if isinstance(v, (int, float, bool)) or k == "codec"},
                            sort_keys=True).encode())
        d = dataclasses.asdict(self)
        d["image"] = os.path.basename(self.image)
        d["card"] = h.hexdigest()[:16]
        if self.fec == "ldpc":  # a digital scheme: its numbers depend on the chain's symbol layout
            from .coding.chain import VERSION
            d["chain"] = VERSION
        if any(f.endswith(".onnx") for f in os.listdir(path)):  # a learned model: its numbers depend on the engine
            from .engines import choose
            d["engine"] = choose(card, "decoder")
        d["v"] = CACHE_VERSION
        return json.dumps(d, sort_keys=True)


_schemes = {}  # per worker process: codecs and their encode caches are reused across points


def _scheme(p):
    from . import codecs, evaluation
    k = (p.model, p.channel, p.kn, p.mcs, p.fec)
    if k not in _schemes:
        codec = codecs.load(p.model, threads=1)
        _schemes[k] = evaluation.scheme(codec, p.channel, p.kn, p.mcs or None, p.fec or "ldpc", threads=1)
    return _schemes[k]


def run_point(p):
    """-> [{snr_db, psnr_db, ssim, failures, transmissions}] for one image."""
    from . import evaluation
    tx = _scheme(p)
    out = []
    res, _, skipped = evaluation.evaluate(tx, [p.image], list(p.snrs), p.realizations, p.seed,
                                          with_ssim=p.ssim_realizations, progress=False)
    if skipped:
        raise ValueError(skipped[0])
    for r in res:
        out.append({"snr_db": r["snr_db"], "psnr_db": r["psnr_db"], "ssim": r["ssim"],
                    "failures": r.get("decode_failures", 0), "transmissions": p.realizations})
    return out


def run(points, cache_path, workers=1, ray_address=None, desc="sweep"):
    """Results for every point ({key: result}); computes only what the cache lacks, appending each
    result as it arrives, so an interrupted sweep resumes where it stopped."""
    done = {}
    if os.path.isfile(cache_path):
        with open(cache_path) as f:
            for line in f:
                try:
                    rec = json.loads(line)
                    done[rec["key"]] = rec["result"]
                except (ValueError, KeyError):
                    continue  # a line cut by an interrupted write
    keyed = {p.key(): p for p in points}
    todo = [p for k, p in keyed.items() if k not in done]
    os.makedirs(os.path.dirname(os.path.abspath(cache_path)), exist_ok=True)
    bar = tqdm(total=len(keyed), initial=len(keyed) - len(todo), desc=desc, mininterval=2)
    with open(cache_path, "a") as cache:
        def store(p, result):
            k = p.key()
            done[k] = result
            cache.write(json.dumps({"key": k, "result": result}) + "\n")
            cache.flush()
            bar.update(1)
        if ray_address:
            _run_ray(todo, ray_address, store)
        elif workers > 1 and len(todo) > 1:
            import multiprocessing as mp
            with mp.get_context("spawn").Pool(workers) as pool:
                for p, result in zip(todo, pool.imap(run_point, todo)):
                    store(p, result)
        else:
            for p in todo:
                store(p, run_point(p))
    bar.close()
    return {k: done[k] for k in keyed}


def _run_ray(todo, address, store):
    import ray
    if not ray.is_initialized():
        ray.init(address=None if address == "local" else address, include_dashboard=False,
                 num_cpus=os.cpu_count() if address == "local" else None, log_to_driver=False)
    remote = ray.remote(num_cpus=1)(run_point)
    pending = {remote.remote(p): p for p in todo}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            store(pending.pop(ref), ray.get(ref))


def curve(points, results):
    """Mean over images per SNR: [{snr_db, psnr_db, ssim, failures, transmissions}] (points of one curve)."""
    acc = {}
    for p in points:
        for r in results[p.key()]:
            a = acc.setdefault(r["snr_db"], dict(ps=[], ss=[], failures=0, transmissions=0))
            a["ps"].append(r["psnr_db"])
            if r.get("ssim") is not None:
                a["ss"].append(r["ssim"])
            a["failures"] += r["failures"]
            a["transmissions"] += r["transmissions"]
    out = []
    for snr in sorted(acc):
        a = acc[snr]
        out.append({"snr_db": snr, "psnr_db": round(sum(a["ps"]) / len(a["ps"]), 3),
                    "ssim": round(sum(a["ss"]) / len(a["ss"]), 4) if a["ss"] else None,
                    "failures": a["failures"], "transmissions": a["transmissions"]})
    return out
