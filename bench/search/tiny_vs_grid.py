"""ASHA against the grid of the same points on the tiny model (issue 16):
sweeps/mini-search.toml (GA and NPO, lr x l1_lambda, 12 trials each, rungs 1/3/9
epochs) and bench/search/mini-grid.toml (the same 12 points per method at 9 epochs).
Both run under mpirun with the same workers, on the stages mini.toml trained (reused
from results/artifacts). Each method's best setting is picked by the search's objective:
the highest log forget quality among settings that keep 95 % of the Original's model
utility (the report's rule; without such a setting, the one closest to keeping it).

Prints per method the best setting each found and its objective, and what each spent:
worker-seconds (the sum of its jobs' wall times) and wall time.

usage: python3 bench/search/tiny_vs_grid.py [--workers 2]   (after scripts/setup.sh)
"""
import argparse
import json
import math
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "clear-sweep")
MU = "model_utility"


def run(sweep, out, workers):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    start = time.time()
    subprocess.run(["mpirun", "-np", str(workers + 1), "--oversubscribe", BIN, "run", sweep, "--out", out,
                    "--quiet"], check=True, env=env, cwd=ROOT)
    return time.time() - start


def rows(out):
    return [json.loads(line) for line in open(out + ".journal")]


def rank(r):
    """The search's order: keeps MU >= 0.95 x Original first, then log forget quality."""
    original_mu = r["vectors"]["reference_original_metrics"][r["metric_index"]]
    margin = r["metrics"][MU] - 0.95 * original_mu
    fq = r["metrics"]["log_forget_quality"]
    return (1, fq) if margin >= 0 else (0, margin)


def best_per_method(records, full_only):
    best = {}
    for r in records:
        if r["status"] != "ok" or (full_only and r.get("capped_eval")):
            continue
        if full_only and "epochs=9" not in r["hparams"].split():
            continue
        if r["method"] not in best or rank(r) > rank(best[r["method"]]):
            best[r["method"]] = r
    return best


def setting(r):
    kv = dict(p.split("=") for p in r["hparams"].split())
    return f"lr={kv['lr']} l1_lambda={kv['l1_lambda']}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--search", default="sweeps/mini-search.toml", help="a variant of the search to run")
    p.add_argument("--grid-from", help="the results of an earlier run of the grid, instead of running it")
    a = p.parse_args()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    search_out = os.path.join(ROOT, "results", f"bench-mini-search-{stamp}.h5")
    grid_out = a.grid_from or os.path.join(ROOT, "results", f"bench-mini-grid-{stamp}.h5")
    subprocess.run([BIN, "finetune", "sweeps/mini.toml"], check=True, cwd=ROOT)  # cached stages
    search_wall = run(a.search, search_out, a.workers)
    grid_wall = math.nan if a.grid_from else run("bench/search/mini-grid.toml", grid_out, a.workers)
    search_rows, grid_rows = rows(search_out), rows(grid_out)
    index = metric_index()
    for r in search_rows + grid_rows:
        r["metric_index"] = index
    s_best, g_best = best_per_method(search_rows, True), best_per_method(grid_rows, True)
    s_cost = sum(r["wall_seconds"] for r in search_rows)
    g_cost = sum(r["wall_seconds"] for r in grid_rows)
    print(f"\n{'method':8s} {'grid best':32s} {'log FQ':>8s}   {'search best':32s} {'log FQ':>8s}")
    def shown(r):  # log FQ, or for a setting that breaks the constraint its MU margin
        return "-" if r is None else (f"{rank(r)[1]:8.3f}" if rank(r)[0] else f"MU margin {rank(r)[1]:.4f}")
    for m in sorted(g_best):
        g, s = g_best[m], s_best.get(m)
        print(f"{m:8s} {setting(g):32s} {shown(g):>8s}   {(setting(s) if s else '-'):32s} {shown(s):>8s}")
    print(f"\ncompute: search {s_cost:.0f} worker-s in {len(search_rows)} trial-rungs, grid {g_cost:.0f} worker-s "
          f"in {len(grid_rows)} jobs: {s_cost / g_cost:.2f} of the grid")
    print(f"wall: search {search_wall:.0f} s, grid {grid_wall:.0f} s ({a.workers} workers; stages cached)")
    print(f"files: {search_out}, {grid_out}")


def metric_index():
    """model_utility's place in metric_columns (the order of the reference vectors)."""
    source = open(os.path.join(ROOT, "src", "store", "metric_columns.cpp")).read()
    names = [line.split('"')[1] for line in source.splitlines() if line.strip().startswith('{"')]
    return names.index(MU)


if __name__ == "__main__":
    main()
