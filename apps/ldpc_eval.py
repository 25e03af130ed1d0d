#!/usr/bin/env python3
"""FER/BER of a gr-jscc LDPC code (BPSK over AWGN) against the PyPI ldpc reference decoder.

  apps/ldpc_eval.py --code 8192-1/2 --ebn0 0.5 1 1.5 2 --frames 2000 --reference-frames 500 \\
      --json docs/results/ldpc_8192-1_2.json --plot docs/results/ldpc_8192-1_2.png
  apps/ldpc_eval.py --bench    # ldpc_decode_mbps / ldpc_reference_mbps (8192-1/2, 2 dB)

Eb/N0 counts information bits: sigma^2 = 1 / (2 R Eb/N0). reference_fer: PyPI ldpc's
BpDecoder (min-sum, our normalisation held for all iterations, the same max iterations) on the
same noisy frames and the same mother parity-check matrix, punctured bits as erasures and
fillers as known zeros; it is slow, so --reference-frames limits it to the first frames of each
point. Seeded: the same command gives the same numbers.
"""
import argparse
import json
import pathlib
import platform
import sys
import time

from tqdm import tqdm

from gnuradio import jscc
from gnuradio.jscc.coding import ldpc_sim


def plot(out, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = out["results"]
    e = [r["ebn0_db"] for r in rows]
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    # points without errors are left out (log scale)
    for a, key, name in ((ax[0], "fer", "FER"), (ax[1], "ber", "BER")):
        a.semilogy(e, [r[key] or float("nan") for r in rows], "o-", label=f"gr-jscc layered min-sum ({out['kernel']})")
        if key == "fer":
            ref = [(r["ebn0_db"], r["reference_fer"] or float("nan")) for r in rows if r.get("reference_frames")]
            if ref:
                a.semilogy(*zip(*ref), "s--", label="PyPI ldpc BpDecoder (serial min-sum)")
            a.axhline(1e-2, color="gray", lw=0.8, ls=":")
        a.set(xlabel="Eb/N0 (dB)", ylabel=name, title=f"{out['code']}: n {out['n']}, k {out['k']}, BPSK AWGN, "
              f"max {out['max_iter']} it")
        a.grid(alpha=0.3, which="both")
        a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--code", default="8192-1/2", choices=jscc.ldpc_codes())
    ap.add_argument("--ebn0", type=float, nargs="+", default=[0.5, 1.0, 1.5, 2.0], help="Eb/N0 points (dB)")
    ap.add_argument("--frames", type=int, default=2000, help="frames per point")
    ap.add_argument("--reference-frames", type=int, default=200,
                    help="of those, how many the reference decoder also decodes (0: none)")
    ap.add_argument("--max-iter", type=int, default=50)
    ap.add_argument("--threads", type=int, default=0, help="decoder threads (0: all cores)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json")
    ap.add_argument("--plot")
    ap.add_argument("--bench", action="store_true", help="print the throughput benchmark and exit")
    a = ap.parse_args(argv)
    if a.bench:
        print(json.dumps(ldpc_sim.benchmark(threads=a.threads), indent=1))
        return 0
    if a.frames < 1 or a.reference_frames < 0 or a.max_iter < 0:
        ap.error("--frames must be >= 1, --reference-frames and --max-iter >= 0")
    code = jscc.ldpc_code(a.code)
    rows = []
    for ebn0 in a.ebn0:
        with tqdm(total=a.frames, desc=f"{a.code} {ebn0:g} dB", leave=False) as bar:
            r = ldpc_sim.simulate(code, ebn0, a.frames, seed=a.seed, max_iter=a.max_iter, threads=a.threads,
                                  reference_frames=min(a.reference_frames, a.frames), progress=bar.update)
        rows.append(r)
        ref = (f", reference FER {r['reference_fer']:.4f} on {r['reference_frames']} (agreement "
               f"{100 * r['agreement']:.1f} %)" if r["reference_frames"] else "")
        tqdm.write(f"{ebn0:5.2f} dB: FER {r['fer']:.4f} ({r['frame_errors']}/{r['frames']}), BER {r['ber']:.2e}, "
                   f"{r['mean_iterations']:.2f} iterations{ref}")
    at = {who: ldpc_sim.ebn0_at(rows, 1e-2, key) for who, key in (("ours", "fer"), ("reference", "reference_fer"))}
    tqdm.write("Eb/N0 at FER 1e-2: " + ", ".join(f"{w} {v:.2f} dB" if v is not None else f"{w} not bracketed"
                                                 for w, v in at.items()))
    out = dict(code=a.code, n=code.n, k=code.k, base_graph=code.base_graph, z=code.z, fillers=code.fillers,
               max_iter=a.max_iter, scaling=jscc.ldpc_code.scaling, late_scaling=jscc.ldpc_code.late_scaling,
               late_iteration=jscc.ldpc_code.late_iteration(a.max_iter), kernel=code.kernel, seed=a.seed,
               ebn0_at_fer_1e_2=at, results=rows, command=" ".join(["apps/ldpc_eval.py"] + (argv if argv is not None else sys.argv[1:])),
               cpu=platform.processor() or platform.machine(), date=time.strftime("%Y-%m-%d"))
    if a.json:
        pathlib.Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(a.json).write_text(json.dumps(out, indent=1))
    if a.plot:
        plot(out, a.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
