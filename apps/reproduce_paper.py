#!/usr/bin/env python3
"""Reproduce the Kodak study of Bourtsoulatze, Kurka and Gunduz (2019) from the shipped models.

  apps/reproduce_paper.py --out docs/results/paper            # everything (hours on 2 cores)
  apps/reproduce_paper.py --quick --out out/paper             # a few images and realizations: minutes
  apps/reproduce_paper.py --figs 7 8 --workers 2 --out DIR    # some figures, local worker processes
  apps/reproduce_paper.py --ray local --quick --out DIR       # the same sweep on a Ray cluster

Figures (each DIR/figN.json + .csv + .png + .md, the README's table; JSON: {"schemes": {NAME: [{snr_db, psnr_db, ssim}]}, ...}):
- fig4: SNR mismatch: every k/n 1/6 AWGN model evaluated from 0 to 25 dB (PSNR);
- fig7 / fig8: AWGN, k/n 1/12 / 1/6: Deep JSCC per SNR_train, JPEG and JPEG 2000 + LDPC + QAM with
  each of the 12 MCS, their best envelope ("<codec>-ldpc-best") and the separation bound
  ("<codec>-capacity");
- fig9: slow Rayleigh fading, k/n 1/6, phase known at the receiver: the Rayleigh-trained Deep JSCC
  models, the digital schemes' best envelope and the bound (outage -> mean colour);
- fig10: one Kodak image, rows 1/4/7/13/19 dB, columns Deep JSCC / JPEG / JPEG 2000 (best MCS).
Realizations per image: Deep JSCC 100 as the paper (SSIM from the first 10; --realizations and
--ssim-realizations lower them where decoding is slow: a CPU without AMX decodes ~10x slower, and a
Deep JSCC image's PSNR varies by 0.01-0.03 dB (sd) between realizations: kodim01 and kodim23, the
10 dB model at 1 and 10 dB); digital AWGN 4 (the
outcome is nearly deterministic away from a code's threshold), digital fading 20, the bound 1
(AWGN) or 100 (fading). A cache (DIR/cache.jsonl) makes an interrupted run resume and an
unchanged point free; models whose card or graphs change are recomputed.
"""
import argparse
import csv
import json
import os
import sys


from gnuradio.jscc import sweep
from gnuradio.jscc.coding import mcs as mcs_table
from gnuradio.jscc.imageio import list_images
from gnuradio.jscc.models import available, find_model, load_card

HERE = os.path.dirname(os.path.abspath(__file__))
KODAK = os.path.join(HERE, "..", "..", "shared", "data", "kodak")
SNRS = [1, 4, 7, 10, 13, 19]
DIGITAL = ("jpeg", "jpeg2000")


def deepjscc_models(kn, channel):
    """Shipped paper-architecture models for k/n = 1/kn trained on `channel`, by SNR_train."""
    out = []
    for name in available():
        c = load_card(find_model(name))
        if c.get("codec") == "deepjscc" and c.get("kn") == kn and str(c.get("channel", "")).split()[0] == channel \
                and name.startswith("deepjscc-kn"):
            out.append((float(c["snr_train_db"]), name))
    return [n for _, n in sorted(out)]


class Study:
    def __init__(self, a):
        self.a = a
        self.q = a.quick
        paths = list_images(a.images) if os.path.isdir(a.images) else []
        if not paths:
            sys.exit(f"error: no images in {a.images}")
        self.paths = paths[:3] if self.q else paths
        self.r_analog = a.realizations or (2 if self.q else 100)
        self.r_ssim = min(a.ssim_realizations or (1 if self.q else 10), self.r_analog)
        self.r_digital = 1 if self.q else 4
        self.r_fading = 2 if self.q else 20
        self.r_bound_fading = 5 if self.q else 100
        self.cache = a.cache or os.path.join(a.out, "cache.jsonl")

    def points(self, model, channel, snrs, realizations, ssim_r, kn=0, mcs="", fec=""):
        return [sweep.Point(model, channel, p, tuple(snrs), realizations, kn, mcs, fec, 0, ssim_r)
                for p in self.paths]

    def run(self, curves, desc):
        """curves: {name: [Point]} -> {name: curve}."""
        allp = [p for ps in curves.values() for p in ps]
        allp.sort(key=lambda p: not p.fec)  # the digital points first: they need no inference engine
        res = sweep.run(allp, self.cache, self.a.workers, self.a.ray, desc)
        return {name: sweep.curve(ps, res) for name, ps in curves.items()}

    # --- the figures
    def digital(self, curves, channel, kn, snrs, realizations, bound_r):
        for codec in DIGITAL:
            for m in mcs_table.PAPER:
                curves[f"{codec}-ldpc-{m.name}"] = self.points(codec, channel, snrs, realizations, realizations,
                                                               kn, m.name, "ldpc")
            curves[f"{codec}-capacity"] = self.points(codec, channel, snrs, bound_r, min(bound_r, 10), kn, "",
                                                      "capacity")

    @staticmethod
    def envelope(out):
        for codec in DIGITAL:
            per = {k: v for k, v in out.items() if k.startswith(f"{codec}-ldpc-")}
            if not per:
                continue
            best = []
            for i, pt in enumerate(next(iter(per.values()))):
                name, c = max(((n, v[i]) for n, v in per.items()), key=lambda nv: nv[1]["psnr_db"])
                best.append(dict(c, mcs=name[len(codec) + 6:]))
            out[f"{codec}-ldpc-best"] = best

    def fig4(self):
        snrs = list(range(0, 26, 3 if self.q else 1))
        models = deepjscc_models(6, "awgn")
        curves = {m: self.points(m, "awgn", snrs, max(2, self.r_analog // 10), 0) for m in models}
        return dict(title="SNR mismatch, k/n = 1/6, AWGN (Kodak)", channel="awgn", kn=6,
                    schemes=self.run(curves, "fig4"))

    def awgn(self, kn, fig):
        curves = {m: self.points(m, "awgn", SNRS, self.r_analog, self.r_ssim) for m in deepjscc_models(kn, "awgn")}
        self.digital(curves, "awgn", kn, SNRS, self.r_digital, 1)
        out = self.run(curves, fig)
        self.envelope(out)
        return dict(title=f"Kodak, AWGN, k/n = 1/{kn}", channel="awgn", kn=kn, schemes=out)

    def fig9(self):
        curves = {m: self.points(m, "rayleigh", SNRS, self.r_analog, self.r_ssim)
                  for m in deepjscc_models(6, "rayleigh")}
        self.digital(curves, "rayleigh", 6, SNRS, self.r_fading, self.r_bound_fading)
        out = self.run(curves, "fig9")
        self.envelope(out)
        return dict(title="Kodak, slow Rayleigh fading (phase known), k/n = 1/6", channel="rayleigh", kn=6,
                    schemes=out)

    def fig10(self, fig8):
        """One image, rows 1/4/7/13/19 dB: Deep JSCC (the model trained nearest that SNR) / JPEG /
        JPEG 2000 at their best MCS for that SNR (from fig8)."""
        from gnuradio.jscc import codecs, evaluation
        from gnuradio.jscc.imageio import load_rgb
        from gnuradio.jscc.metrics import psnr, ssim
        path = next((p for p in self.paths if os.path.basename(p) == "kodim23.png"), self.paths[0])
        img = load_rgb(path)
        models = deepjscc_models(6, "awgn")
        trained = {float(load_card(find_model(m))["snr_train_db"]): m for m in models}
        rows = []
        for snr in (1, 4, 7, 13, 19):
            tiles = []
            m = trained[min(trained, key=lambda s: abs(s - snr))]
            tx = evaluation.scheme(codecs.load(m, threads=1), "awgn")
            y, _ = tx.transmit(path, img, snr, evaluation._rng(0, path, snr))
            tiles.append((f"Deep JSCC ({m[len('deepjscc-'):]})", y))
            for codec in DIGITAL:
                best = {c["snr_db"]: c["mcs"] for c in fig8["schemes"][f"{codec}-ldpc-best"]}
                mcs = best.get(snr) or best[min(best, key=lambda s: abs(s - snr))]
                tx = evaluation.scheme(codecs.load(codec), "awgn", 6, mcs, "ldpc", threads=1)
                y, _ = tx.transmit(path, img, snr, evaluation._rng(0, path, snr))
                tiles.append((f"{codec.upper()} {mcs}", y))
            rows.append((snr, [(label, y, psnr(img, y), ssim(img, y)) for label, y in tiles]))
        return path, rows


def write(fig, name, out_dir):
    with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
        json.dump(fig, f, indent=1)
    with open(os.path.join(out_dir, f"{name}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scheme", "snr_db", "psnr_db", "ssim", "mcs", "failures", "transmissions"])
        for s, pts in fig["schemes"].items():
            for p in pts:
                w.writerow([s, p["snr_db"], p["psnr_db"], p.get("ssim"), p.get("mcs", ""), p.get("failures", ""),
                            p.get("transmissions", "")])
    with open(os.path.join(out_dir, f"{name}.md"), "w") as f:
        f.write(markdown(fig))
    plot(fig, os.path.join(out_dir, f"{name}.png"))


def markdown(fig):
    """The README's table of a figure: PSNR (dB) of every Deep JSCC model, each digital scheme's
    best-MCS envelope (with the MCS it picked) and its bound, one column per SNR."""
    schemes = fig["schemes"]
    rows = [k for k in schemes if k.startswith("deepjscc")]
    rows += [f"{c}-{kind}" for c in DIGITAL for kind in ("ldpc-best", "capacity") if f"{c}-{kind}" in schemes]
    snrs = [p["snr_db"] for p in schemes[rows[0]]]
    unit = "average SNR" if fig.get("channel") == "rayleigh" else "SNR"
    out = [f"{fig['title']}: PSNR (dB) per {unit}", "",
           "| scheme | " + " | ".join(f"{s:g} dB" for s in snrs) + " |", "|---|" + "---|" * len(snrs)]
    for k in rows:
        pts = schemes[k]
        out.append(f"| {k} | " + " | ".join(f"{p['psnr_db']:.2f}" for p in pts) + " |")
        if k.endswith("-ldpc-best"):
            out.append("| (its MCS) | " + " | ".join(p.get("mcs", "") for p in pts) + " |")
    return "\n".join(out) + "\n"


def plot(fig, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    schemes = fig["schemes"]
    digital = [c for c in DIGITAL if f"{c}-capacity" in schemes]
    panels = digital or [None]
    f, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False)
    for ax, codec in zip(axes[0], panels):
        deep = [k for k in schemes if k.startswith("deepjscc")]
        cmap = plt.get_cmap("viridis", max(len(deep), 2))
        for i, k in enumerate(deep):
            pts = schemes[k]
            ax.plot([p["snr_db"] for p in pts], [p["psnr_db"] for p in pts], "-", marker="o", ms=3, color=cmap(i),
                    label=k.replace("deepjscc-", "Deep JSCC "))
        if codec:
            for k, pts in schemes.items():
                if k.startswith(f"{codec}-ldpc-") and not k.endswith("-best"):
                    ax.plot([p["snr_db"] for p in pts], [p["psnr_db"] for p in pts], "--", lw=0.7, color="0.7")
            best = schemes[f"{codec}-ldpc-best"]
            ax.plot([p["snr_db"] for p in best], [p["psnr_db"] for p in best], "s-", color="tab:red", ms=4,
                    label=f"{codec.upper()} + LDPC + QAM, best of 12 MCS (each MCS grey)")
            cap = schemes[f"{codec}-capacity"]
            # over slow fading the rate is the average SNR's capacity and a fade below it is an outage
            # (mean colour): not a bound there, a backed-off MCS beats it
            ax.plot([p["snr_db"] for p in cap], [p["psnr_db"] for p in cap], "k:", lw=1.5,
                    label=f"{codec.upper()} at capacity " + ("of the average SNR, outage = mean colour"
                                                              if fig["channel"] == "rayleigh" else "(bound)"))
            ax.set_title(f"({'ab'[DIGITAL.index(codec)]}) {codec.upper()} — {fig['title']}", fontsize=9)
        else:
            ax.set_title(fig["title"], fontsize=9)
        ax.set_xlabel("average SNR (dB)" if fig["channel"] == "rayleigh" else "SNR (dB)")
        ax.set_ylabel("PSNR (dB)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5, loc="lower right")
    f.tight_layout()
    f.savefig(path, dpi=110)
    plt.close(f)


def grid_png(image_path, rows, path):
    from PIL import Image, ImageDraw, ImageFont
    h, w = rows[0][1][0][1].shape[:2]
    scale = 0.5
    th, tw = int(h * scale), int(w * scale)
    bar = 22
    canvas = Image.new("RGB", (tw * len(rows[0][1]) + 60, (th + bar) * len(rows)), "white")
    draw = ImageDraw.Draw(canvas)
    try:
        font = ImageFont.load_default(size=13)
    except TypeError:
        font = ImageFont.load_default()
    for r, (snr, tiles) in enumerate(rows):
        y0 = r * (th + bar)
        draw.text((4, y0 + th // 2), f"{snr} dB", fill="black", font=font)
        for c, (label, img, p, s) in enumerate(tiles):
            x0 = 60 + c * tw
            canvas.paste(Image.fromarray(img).resize((tw, th)), (x0, y0 + bar))
            draw.text((x0 + 4, y0 + 3), f"{label}: {p:.2f} dB / {s:.3f}", fill="black", font=font)
    canvas.save(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder for figN.json/.csv/.png and the cache")
    ap.add_argument("--figs", nargs="+", default=["4", "7", "8", "9", "10"], choices=["4", "7", "8", "9", "10"])
    ap.add_argument("--images", default=KODAK, help="evaluation images (Kodak)")
    ap.add_argument("--quick", action="store_true", help="3 images, few realizations: a first look in minutes")
    ap.add_argument("--realizations", type=int, default=0, help="Deep JSCC realizations per image (default 100)")
    ap.add_argument("--ssim-realizations", type=int, default=0, help="Deep JSCC SSIM from the first N realizations "
                    "(default 10; SSIM costs ~2.5x a decode on the CPU)")
    ap.add_argument("--workers", type=int, default=1, help="local worker processes")
    ap.add_argument("--ray", metavar="ADDRESS", help="run the points on a Ray cluster ('local': start one here)")
    ap.add_argument("--cache", help="cache file (default OUT/cache.jsonl)")
    a = ap.parse_args(argv)
    if a.workers < 1 or a.realizations < 0 or a.ssim_realizations < 0:
        ap.error("--workers must be >= 1, --realizations and --ssim-realizations >= 0")
    os.makedirs(a.out, exist_ok=True)
    st = Study(a)
    figs = {}
    if "4" in a.figs:
        figs["fig4"] = st.fig4()
    if "7" in a.figs:
        figs["fig7"] = st.awgn(12, "fig7")
    fig8_json = os.path.join(a.out, "fig8.json")
    if "8" in a.figs or ("10" in a.figs and not os.path.exists(fig8_json)):
        figs["fig8"] = st.awgn(6, "fig8")
    if "9" in a.figs:
        figs["fig9"] = st.fig9()
    for name, fig in figs.items():
        fig.update(images=len(st.paths), realizations=dict(deepjscc=st.r_analog, deepjscc_ssim=st.r_ssim,
                                                           digital_awgn=st.r_digital, digital_fading=st.r_fading,
                                                           bound_fading=st.r_bound_fading),
                   command="apps/reproduce_paper.py " + " ".join(argv if argv is not None else sys.argv[1:]))
        write(fig, name, a.out)
        print(f"{name}: {os.path.join(a.out, name)}.json/.csv/.png")
    if "10" in a.figs:  # the best MCS per SNR from this run's fig 8, else from the one in --out
        if "fig8" not in figs:
            with open(fig8_json) as f:
                figs["fig8"] = json.load(f)
        path, rows = st.fig10(figs["fig8"])
        grid_png(path, rows, os.path.join(a.out, "fig10.png"))
        with open(os.path.join(a.out, "fig10.json"), "w") as f:
            json.dump({"image": os.path.basename(path), "rows": [
                {"snr_db": snr, "tiles": [{"scheme": t[0], "psnr_db": round(t[2], 3), "ssim": round(t[3], 4)}
                                          for t in tiles]} for snr, tiles in rows]}, f, indent=1)
        print(f"fig10: {os.path.join(a.out, 'fig10.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
