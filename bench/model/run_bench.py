#!/usr/bin/python3
"""Side-by-side throughput of clear-sweep's C++ model and the same model and step in
Python PyTorch (torch_reference.py, run by the repository's .venv: the pinned torch whose
libtorch the C++ links), with the same threads. Runs alternate, REPEATS times each; medians and their ratio are
printed as a Markdown table for BENCHMARKS.md.

    /usr/bin/python3 bench/model/run_bench.py [BUILD_DIR] [--repeats 5] [--threads 1]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_PYTHON = os.path.join(HERE, "..", "..", ".venv", "bin", "python")

CASES = [  # mode, preset, batch, seq or prompt, steps or new tokens
    ("train", "tiny", 16, 64, 20),
    ("train", "small", 8, 128, 4),
    ("generate", "tiny", 16, 48, 24),
    ("generate", "small", 8, 96, 24),
]


def run(cmd, env):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", choices=["train", "generate"], help="run one kind of step")
    args = parser.parse_args()
    bench = os.path.join(args.build, "bench", "model", "train_bench")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode, preset, batch, seq, steps in CASES:
            if args.only and mode != args.only:
                continue
            config = os.path.join(tmp, preset + ".json")
            common = [str(batch), str(seq), str(steps), str(args.threads)]
            samples = {}
            for _ in range(args.repeats):  # alternate, so drifts in machine load hit both
                for r in run([bench, mode, preset] + common + [config], env):
                    samples.setdefault(("cpp", r.get("cache")), []).append(r["tokens_per_s"])
                for r in run([VENV_PYTHON, os.path.join(HERE, "torch_reference.py"), mode, config] + common, env):
                    samples.setdefault(("python", r.get("cache")), []).append(r["tokens_per_s"])
            for cache in sorted({k[1] for k in samples}, key=str):
                cpp = statistics.median(samples[("cpp", cache)])
                py = statistics.median(samples[("python", cache)])
                label = mode if cache is None else f"{mode} ({'KV cache' if cache else 'no cache'})"
                rows.append((label, preset, batch, seq, cpp, py, cpp / py))
    print(f"threads {args.threads}, {args.repeats} alternating runs each, medians")
    print("| step | preset | batch | tokens | C++ tokens/s | PyTorch tokens/s | C++ / PyTorch |")
    print("|---|---|---|---|---|---|---|")
    for label, preset, batch, seq, cpp, py, ratio in rows:
        print(f"| {label} | {preset} | {batch} | {seq} | {cpp:,.0f} | {py:,.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
