#!/usr/bin/python3
"""Scheduler benchmark (issue 3): how well the coordinator keeps workers busy, and what
it costs per job, next to two peers running the same workload in the same run.

Workloads (W = ranks - 1 workers):
  lognormal: N noop jobs, durations lognormal with the given mean (sigma 1, seeded)
  zero:      N noop jobs that do nothing: throughput of the coordinator itself
Contenders:
  clear-sweep   mpirun -np R clear-sweep run (longest first; results journaled + HDF5)
  mpi4py        mpirun -np R python3 -m mpi4py.futures (MPIPoolExecutor.map, same order)
  process/job   xargs -P W, one `sleep` process per job (how job arrays run work)
Metrics (same definitions for all, from the planned durations):
  efficiency = sum(durations) / (W * makespan)
  overhead   = (W * makespan - sum(durations)) / N, per job
Makespans exclude start-up and teardown: clear-sweep's runs from the first task handed
out to the last job finished (its --log-json events), mpi4py's starts after bootup.

Usage: bench/scheduler/run_bench.py [--ranks 8] [--jobs 2000] [--zero-jobs 20000]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def lognormal_durations(n, mean, seed):
    sigma = 1.0
    mu = math.log(mean) - sigma * sigma / 2  # E[X] = exp(mu + sigma^2 / 2) = mean
    d = np.random.default_rng(seed).lognormal(mu, sigma, n)
    return [float(x) for x in d]


def write_sweep(path, name, durations=None, zero_jobs=0):
    with open(path, "w") as f:
        f.write(f'name = "{name}"\n[grid]\nmethod = ["noop"]\nmodality = ["text"]\nforget_fraction = [5]\n')
        if zero_jobs:
            f.write("seed = [" + ", ".join(str(i) for i in range(zero_jobs)) + "]\n")
        else:
            f.write("[grid.hparams.noop]\nseconds = [" + ", ".join(repr(x) for x in durations) + "]\n")


PREFETCH = []


def run_clear_sweep(binary, ranks, sweep, workdir):
    out, events = os.path.join(workdir, "r.h5"), os.path.join(workdir, "events.jsonl")
    for p in (out, out + ".journal", events):
        if os.path.exists(p):
            os.remove(p)
    cmd = ["mpirun", "-np", str(ranks), "--oversubscribe", binary, "run", sweep, "--out", out,
           "--quiet", "--progress", "0", "--log-json", events] + PREFETCH
    subprocess.run(cmd, env=ENV, check=True, stdout=subprocess.DEVNULL)
    # From the first task handed out to the last job finished: like mpi4py's timing, it
    # leaves out start-up (MPI, worker hellos) and the final flush of the results file.
    start, finish, cpu = math.inf, -math.inf, float("nan")
    for line in open(events):
        e = json.loads(line)
        if e["event"] == "task_started":
            start = min(start, e["time"])
        elif e["event"] == "job_finished":
            finish = max(finish, e["time"])
        elif e["event"] == "finished":
            cpu = e["coordinator_cpu_seconds"]
    return finish - start, cpu


def run_mpi4py(ranks, durations, workdir):
    src, dst = os.path.join(workdir, "durations.json"), os.path.join(workdir, "mpi4py.json")
    json.dump(durations, open(src, "w"))
    cmd = ["mpirun", "-np", str(ranks), "--oversubscribe", "/usr/bin/python3", "-m", "mpi4py.futures",
           os.path.join(ROOT, "bench", "scheduler", "mpi4py_farm.py"), src, dst]
    subprocess.run(cmd, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return json.load(open(dst))["makespan"]


def run_process_per_job(workers, durations):
    text = "\n".join(repr(d) for d in durations) + "\n"
    start = time.perf_counter()
    subprocess.run(["xargs", "-P", str(workers), "-n", "1", "sleep"], input=text.encode(), check=True)
    return time.perf_counter() - start


def row(name, workers, durations, makespan, coordinator_cpu=float("nan")):
    if isinstance(makespan, tuple):
        makespan, coordinator_cpu = makespan
    total = sum(durations)
    n = len(durations)
    return {"contender": name, "jobs": n, "makespan_s": makespan,
            "coordinator_cpu_ms_per_job": coordinator_cpu / n * 1000,
            "efficiency": total / (workers * makespan) if makespan > 0 else float("nan"),
            "overhead_ms_per_job": (workers * makespan - total) / n * 1000,
            "jobs_per_s": n / makespan}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranks", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--mean", type=float, default=0.05, help="mean job seconds (lognormal)")
    parser.add_argument("--zero-jobs", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "clear-sweep"))
    parser.add_argument("--prefetch", type=int, default=None, help="pass --prefetch N to clear-sweep")
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args()
    workers = args.ranks - 1
    if args.prefetch is not None:
        PREFETCH.extend(["--prefetch", str(args.prefetch)])

    rows = []
    with tempfile.TemporaryDirectory() as work:
        durations = lognormal_durations(args.jobs, args.mean, args.seed)
        sweep = os.path.join(work, "lognormal.toml")
        write_sweep(sweep, "bench-lognormal", durations)
        rows.append(("lognormal", row("clear-sweep", workers, durations, run_clear_sweep(args.binary, args.ranks, sweep, work))))
        # mpi4py gets the jobs longest first too: the comparison is of overheads, not of ordering.
        rows.append(("lognormal", row("mpi4py MPIPoolExecutor", workers, durations,
                                      run_mpi4py(args.ranks, sorted(durations, reverse=True), work))))
        rows.append(("lognormal", row("process per job (xargs -P)", workers, durations,
                                      run_process_per_job(workers, sorted(durations, reverse=True)))))

        zeros = [0.0] * args.zero_jobs
        sweep = os.path.join(work, "zero.toml")
        write_sweep(sweep, "bench-zero", zero_jobs=args.zero_jobs)
        rows.append(("zero", row("clear-sweep", workers, zeros, run_clear_sweep(args.binary, args.ranks, sweep, work))))
        rows.append(("zero", row("mpi4py MPIPoolExecutor", workers, zeros, run_mpi4py(args.ranks, zeros, work))))
        few = zeros[: min(len(zeros), 2000)]
        rows.append(("zero", row("process per job (xargs -P)", workers, few, run_process_per_job(workers, few))))

    print(f"ranks {args.ranks} ({workers} workers), {os.cpu_count()} cores; lognormal: {args.jobs} jobs, "
          f"mean {args.mean * 1000:.0f} ms, sum {sum(durations):.1f} s")
    print("| workload | contender | jobs | makespan (s) | efficiency | overhead (ms/job) | jobs/s | "
          "coordinator CPU (ms/job) |")
    print("|---|---|---|---|---|---|---|---|")
    for workload, r in rows:
        cpu = r["coordinator_cpu_ms_per_job"]
        print(f"| {workload} | {r['contender']} | {r['jobs']} | {r['makespan_s']:.3f} | "
              f"{r['efficiency'] if workload != 'zero' else float('nan'):.4f} | {r['overhead_ms_per_job']:.3f} | "
              f"{r['jobs_per_s']:.0f} | {'-' if cpu != cpu else f'{cpu:.3f}'} |")
    if args.json:
        json.dump([dict(r, workload=w) for w, r in rows], open(args.json, "w"), indent=2)


if __name__ == "__main__":
    sys.exit(main())
