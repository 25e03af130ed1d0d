#!/usr/bin/env python3
"""Speed of Deep JSCC here: every inference engine and PyTorch eager encode+decode, the GNU Radio
loopback, the OFDM PHY against GNU Radio's own OFDM chain, and LDPC decoding.

  apps/benchmark.py --json docs/results/benchmark.json

ort_ms / torch_ms / engines[NAME].ms: median encode+decode milliseconds per image over the images
(Kodak 768x512 when ../shared/data/kodak exists, else examples/images), several passes, first pass
(warm-up) excluded, all measured in this run with the same thread count, taking turns image by
image. engines[NAME].psnr_vs_fp32_db: PSNR of that engine's decoded image against onnxruntime
fp32's (noiseless, mean over the images); .kodak_psnr_delta_db: the card's measured Kodak delta
at SNR_train (apps/evaluate.py --engine NAME --update-card), which decides what engine auto may
use. best_engine: the fastest engine auto may use for the model.
loopback_*: the GNU Radio flowgraph image source -> encoder -> AWGN -> decoder -> sink (PSNR, no SSIM, no PNG writing),
timed from start until the last image arrived; ofdm_image_loopback_images_per_s: the same images
through the OFDM PHY (codec_ofdm_loopback: Codec OFDM TX -> channel_sim AWGN -> Codec OFDM RX).
ofdm_loopback_msps: OFDM TX + AWGN + OFDM RX in one
flowgraph (complex samples per second through the channel, median of --ofdm-runs runs of 20 M
samples by default, FFT 64, CP 16).
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np

from gnuradio.jscc import codecs, engines
from gnuradio.jscc.codecs.base import SYMBOLS
from gnuradio.jscc.imageio import list_images, load_rgb
from gnuradio.jscc.link.loopback import codec_loopback, codec_ofdm_loopback
from gnuradio.jscc.metrics import psnr
from gnuradio.jscc.phy.phy_eval import gr_ofdm_reference_rate, loopback_rate

HERE = os.path.dirname(os.path.abspath(__file__))
KODAK = os.path.join(HERE, "..", "..", "shared", "data", "kodak")


def time_per_image(fns, images, passes):
    """Median milliseconds per image for each function. The functions take turns on every image,
    so a shared machine's slow and fast spells fall on all of them alike."""
    times = [[] for _ in fns]
    for p in range(passes + 1):
        for img in images:
            for fn, t in zip(fns, times):
                t0 = time.perf_counter()
                fn(img)
                if p:  # pass 0 is the warm-up
                    t.append((time.perf_counter() - t0) * 1000)
    return [float(np.median(t)) for t in times]


def conv_peak_gflops(threads, runs=30):
    """GFLOPS onnxruntime reaches on one large convolution (32 -> 32 maps, 5x5, 128x192): the
    practical fp32 peak of this CPU for this network's main layer."""
    from onnx import TensorProto, helper, numpy_helper
    from gnuradio.jscc.engines import OrtSession
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((32, 32, 5, 5)).astype(np.float32), "w")
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], pads=[2, 2, 2, 2])], "conv",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32, 128, 192])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    sess = OrtSession(model.SerializeToString(), threads)
    x = rng.standard_normal((1, 32, 128, 192)).astype(np.float32)
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        sess.run(x)
        if i:
            times.append(time.perf_counter() - t0)
    return 2 * 32 * 32 * 25 * 128 * 192 / float(np.median(times)) / 1e9


def torch_fn(codec, threads, snr_db):
    try:
        import torch
        from gnuradio.jscc.training.channels import AWGN
        from gnuradio.jscc.training.deepjscc import DeepJSCC as TorchDeepJSCC, build
    except ImportError:
        return None
    torch.set_num_threads(threads)
    w = torch.load(os.path.join(codec.path, "weights.pt"), weights_only=False)
    m = (build(w["args"]) if "args" in w else TorchDeepJSCC(w["c"], AWGN(10))).eval()  # older weights: no args
    m.load_state_dict(w["model"])
    snr = (torch.full((1, 1), float(snr_db)),) if codec.snr_input else ()

    def run(img):
        with torch.inference_mode():
            x = torch.from_numpy(img.transpose(2, 0, 1)[None].astype(np.float32))
            return m.decoder(m.encoder(x, *snr), *snr).numpy()
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="deepjscc-kn6-awgn-10db")
    ap.add_argument("--images", default=KODAK if os.path.isdir(KODAK) else os.path.join(HERE, "..", "examples", "images"))
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="threads for onnxruntime and PyTorch alike")
    ap.add_argument("--snr", type=float, default=10.0, help="the SNR (dB) of the loopback, and the SNR input of an "
                    "SNR-adaptive model")
    ap.add_argument("--loopback-images", type=int, default=48)
    ap.add_argument("--ofdm-runs", type=int, default=3)
    ap.add_argument("--ofdm-samples", type=float, default=20e6, help="samples per OFDM loopback run")
    ap.add_argument("--json")
    a = ap.parse_args(argv)

    paths = list_images(a.images)
    if not paths:
        sys.exit(f"error: no images in {a.images}")
    images = [load_rgb(p) for p in paths]
    codec = codecs.load(a.model, threads=a.threads, engine="onnxruntime")
    if codec.kind != SYMBOLS:
        sys.exit(f"error: {codec.name} is not a Deep JSCC (symbol) model")
    names = [n for n in engines.available() if n != "onnxruntime"]
    coders = {"onnxruntime": codec, **{n: codecs.load(a.model, threads=a.threads, engine=n) for n in names}}
    run = {n: (lambda img, c=c: c.decode_symbols(c.encode_symbols(img, a.snr), *img.shape[:2], a.snr))
           for n, c in coders.items()}
    tf = torch_fn(codec, a.threads, a.snr)
    fns = list(run.values()) + ([tf] if tf else [])
    ms = time_per_image(fns, images, a.passes)
    ort_ms, torch_ms = ms[0], (ms[len(run)] if tf else None)
    print(f"onnxruntime encode+decode: {ort_ms:.1f} ms/image (median, {len(images)} images x {a.passes} passes)")
    print(f"PyTorch eager encode+decode: {torch_ms:.1f} ms/image (turn about with the engines)" if torch_ms
          else "PyTorch not installed: torch_ms null")
    table = {}
    for (n, fn), t in zip(run.items(), ms):
        same = float(np.mean([psnr(run["onnxruntime"](im), fn(im)) for im in images[:4]])) if n != "onnxruntime" \
            else None
        delta = codec.card.get("engines", {}).get(n, {}).get("kodak_psnr_delta_db", 0.0 if n not in engines.REDUCED
                                                             else None)
        table[n] = {"ms": round(t, 2), "psnr_vs_fp32_db": round(same, 2) if same else None,
                    "kodak_psnr_delta_db": delta, "allowed_by_auto": engines.allowed(n, codec.card, "decoder")}
        print(f"  engine {n:<17} {t:7.1f} ms/image" + (f", {same:.1f} dB from fp32" if same else "")
              + (f", Kodak delta {delta:+.3f} dB" if delta is not None else ", Kodak delta not measured"))
    best = min((n for n in table if table[n]["allowed_by_auto"]), key=lambda n: table[n]["ms"])
    print(f"best engine (auto may use it): {best}, {table[best]['ms']:.1f} ms/image = "
          f"{table[best]['ms'] / ort_ms:.2f} x onnxruntime fp32")

    floor = {}
    try:
        from gnuradio.jscc.training.export import graph_gmac
        h, w = images[0].shape[:2]
        gmac = (graph_gmac(os.path.join(codec.path, "encoder.onnx"), h, w)
                + graph_gmac(os.path.join(codec.path, "decoder.onnx"), *codec.latent_hw(h, w)))
        peak = conv_peak_gflops(a.threads)
        floor = {"conv_gmac": round(gmac, 3), "conv_peak_gflops": round(peak, 1),
                 "conv_floor_ms": round(2 * gmac / peak * 1000, 1)}
        print(f"the graphs' convolutions: {gmac:.2f} GMAC per image; one large conv runs at {peak:.0f} GFLOPS "
              f"here, so the convolutions alone need >= {floor['conv_floor_ms']:.1f} ms")
    except ImportError:
        print("onnx or torch not installed: no convolution floor (pip install -r requirements-train.txt)")

    loop_paths = (paths * (a.loopback_images // len(paths) + 1))[:a.loopback_images]
    tb = codec_loopback(loop_paths, a.model, "awgn", a.snr, seed=1, reference=a.images, compute_ssim=False,
                        threads=a.threads)
    results, secs = tb.run_images()
    loop_engine = ", ".join(sorted(set(tb.encoder.codec.engines.values()) | set(tb.decoder.codec.engines.values())))
    n_sym = sum(codec.n_symbols(*im.shape[:2]) for im in (images * (a.loopback_images // len(images) + 1))[:a.loopback_images])
    ips, msps = len(results) / secs, n_sym / secs / 1e6
    print(f"GNU Radio loopback ({loop_engine}): {len(results)} images in {secs:.2f} s = {ips:.1f} images/s, {msps:.2f} Msym/s "
          f"(mean PSNR {np.mean([r['psnr_db'] for r in results]):.2f} dB)")

    # the same images through the OFDM PHY (codec + OFDM TX -> channel_sim -> OFDM RX + decoder)
    tb = codec_ofdm_loopback(loop_paths, a.model, "awgn", a.snr, seed=1, reference=a.images, compute_ssim=False,
                             threads=a.threads)
    ofdm_results, ofdm_secs = tb.run_images()
    ofdm_ips = len(ofdm_results) / ofdm_secs
    print(f"GNU Radio OFDM image loopback: {len(ofdm_results)} images in {ofdm_secs:.2f} s = {ofdm_ips:.1f} images/s "
          f"(mean PSNR {np.mean([r['psnr_db'] for r in ofdm_results]):.2f} dB)")

    rates = []
    for _ in range(a.ofdm_runs):
        rate, st = loopback_rate(int(a.ofdm_samples))
        rates.append(rate)
        if st["frames"] < st["detected"] - 1 or st["frames"] == 0:  # head cuts the last frame short
            print(f"warning: OFDM loopback lost frames: {st}", file=sys.stderr)
    ofdm_msps = float(np.median(rates)) / 1e6
    print(f"OFDM loopback (TX + AWGN + RX, one flowgraph): {ofdm_msps:.1f} Msps "
          f"(median of {a.ofdm_runs}: {', '.join(f'{r / 1e6:.1f}' for r in rates)})")
    ref = float(np.median([gr_ofdm_reference_rate(int(a.ofdm_samples)) for _ in range(a.ofdm_runs)])) / 1e6
    print(f"GNU Radio's own OFDM chain (digital.ofdm_tx -> channels.channel_model -> digital.ofdm_rx, FFT 64, "
          f"CP 16): {ref:.1f} Msps; ours {ofdm_msps / ref:.2f} x")
    ldpc = {}
    try:
        from gnuradio.jscc.coding.ldpc_sim import benchmark as ldpc_benchmark
        ldpc = ldpc_benchmark()
        print(f"LDPC (8192, 4096) at Eb/N0 2 dB: {ldpc['ldpc_decode_mbps']:.1f} Mbit/s; PyPI ldpc "
              f"{ldpc['ldpc_reference_mbps']:.2f} Mbit/s")
    except ImportError as e:
        print(f"no LDPC figures: {e}")

    cpu_model, cpu_flags = engines.cpu_info()
    out = {"ort_ms": round(ort_ms, 2), "torch_ms": round(torch_ms, 2) if torch_ms else None,
           "engines": table, "best_engine": best, "best_engine_ms": table[best]["ms"],
           "gr_ofdm_reference_msps": round(ref, 2), **ldpc,
           "loopback_images_per_s": round(ips, 2), "loopback_msym_per_s": round(msps, 3), "loopback_engine": loop_engine,
           "ofdm_loopback_msps": round(ofdm_msps, 2), "ofdm_image_loopback_images_per_s": round(ofdm_ips, 2), **floor,
           "model": codec.name, "images": os.path.abspath(a.images), "n_images": len(images),
           "image_size": f"{images[0].shape[1]}x{images[0].shape[0]}", "passes": a.passes, "threads": a.threads,
           "loopback_images": len(results), "cpu": cpu_model or platform.processor() or platform.machine(),
           "cpu_flags": sorted(f for f in engines.MATRIX_FLAGS if f in cpu_flags),
           "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
