#!/usr/bin/env python3
"""Run the fuzzing harnesses for a time budget and report what they ran.

  tests/fuzz/run.py --seconds 60        # make test: a bounded run (about 60 s in all)
  tests/fuzz/run.py --seconds 1800      # make fuzz FUZZ_SECONDS=600 (per harness)

Harnesses (share of the budget):
  header    (35 %) C++ frame header under ASan + UBSan (fuzz_header.cc; g++ has no libFuzzer,
            so a built-in mutation driver runs the libFuzzer entry point)
  handlers  (40 %) every Python message handler, atheris (coverage-guided libFuzzer)
  iq        (25 %) mutated IQ recordings through one running OFDM receiver (fuzz_iq.py)
Exit status 1 if any harness found a crash, a hang or a broken property; its input is saved
under build/fuzz/ (crash-*), the log shows the property or the sanitizer report.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "build", "fuzz")
HEADER_SRC = [os.path.join(HERE, "fuzz_header.cc"), os.path.join(ROOT, "lib", "frame_header.cc"),
              os.path.join(ROOT, "include", "gnuradio", "jscc", "frame_header.h")]


def build_header():
    exe = os.path.join(OUT, "fuzz_header")
    os.makedirs(OUT, exist_ok=True)
    if os.path.exists(exe) and os.path.getmtime(exe) > max(map(os.path.getmtime, HEADER_SRC)):
        return exe
    cmd = ["g++", "-std=c++17", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-fno-omit-frame-pointer", "-DSTANDALONE", "-I", os.path.join(ROOT, "include"), HEADER_SRC[0],
           HEADER_SRC[1], "-o", exe]
    subprocess.run(cmd, check=True)
    return exe


def run(name, cmd, env=None, timeout=None):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=OUT)
    out = p.stdout + p.stderr
    return p.returncode, out, time.monotonic() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60, help="total budget, split between the harnesses")
    ap.add_argument("--only", choices=("header", "handlers", "iq"), action="append")
    ap.add_argument("--seed", type=int, default=0, help="0: a fresh seed per run")
    a = ap.parse_args(argv)
    seed = a.seed or int(time.time()) % 100000
    share = {"header": 0.35, "handlers": 0.40, "iq": 0.25}
    todo = a.only or list(share)
    total = sum(share[k] for k in todo)
    budget = {k: max(3.0, a.seconds * share[k] / total) for k in todo}
    os.makedirs(OUT, exist_ok=True)
    py = sys.executable
    failed, lines = [], []
    for name in todo:
        t = budget[name]
        if name == "header":
            t_build = time.monotonic()
            exe = build_header()
            t = max(2.0, t - (time.monotonic() - t_build))  # a first build counts against the budget
            rc, out, dt = run(name, [exe, "--seconds", f"{t:g}", "--seed", str(seed)], timeout=t + 120)
            summary = [line for line in out.splitlines() if line.startswith("fuzz_header:")]
        elif name == "handlers":
            stats = tempfile.NamedTemporaryFile(prefix="fuzz_stats", delete=False).name
            env = dict(os.environ, FUZZ_STATS=stats, QT_QPA_PLATFORM="offscreen")
            # start-up (imports, models) is not fuzzing time: a quarter of the share
            rc, out, dt = run(name, [py, os.path.join(HERE, "fuzz_handlers.py"), f"-max_total_time={int(t * 0.75) or 1}",
                                     "-timeout=30", "-rss_limit_mb=6144", f"-seed={seed}",
                                     f"-artifact_prefix={OUT}/"], env=env, timeout=t + 300)
            with open(stats) as f:
                n, received, posted, handled = map(int, (f.read().split() or [0, 0, 0, 0]))
            os.unlink(stats)
            summary = [f"fuzz_handlers: {received} messages to the Python message blocks and {posted} to the C++ "
                       f"LDPC PDU blocks ({n} inputs, last checkpoint); unexpected handler exceptions: 0"]
            if rc == 0 and "Done" not in out:
                rc = 1
        else:
            rc, out, dt = run(name, [py, os.path.join(HERE, "fuzz_iq.py"), "--seconds", f"{t * 0.8:g}", "--seed",
                                     str(seed)], timeout=t + 300)
            summary = [line for line in out.splitlines() if line.startswith("fuzz_iq:")]
        if rc != 0:
            failed.append(name)
            print(out[-6000:], file=sys.stderr)
            summary = [f"{name}: FAILED (exit {rc}) after {dt:.0f} s, see above"]
        lines += summary
        print(summary[0] if summary else f"{name}: no summary", flush=True)
    print(f"fuzzing done (seed {seed}): " + ("all harnesses clean" if not failed else f"FAILED: {', '.join(failed)}"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
