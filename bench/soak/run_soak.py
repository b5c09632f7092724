#!/usr/bin/python3
"""Soak test of the cluster layer (issue 19): many noop jobs on many oversubscribed ranks,
with random worker kills and coordinator kill -9s, resumed until the grid is complete.

Checks that every job of the grid is stored exactly once, that the file holds no job
outside the grid, and that the journal and the file agree. Prints a summary for
BENCHMARKS.md. Uses Debian's python3 and h5py (as analysis/ does).

    bench/soak/run_soak.py [--ranks 16] [--jobs 20000] [--kills 10] [--seed 1]
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import h5py


def log(*args):
    print(*args, flush=True)


def write_sweep(path, jobs, seconds):
    xs = 100
    seeds = (jobs + xs - 1) // xs
    with open(path, "w") as f:
        f.write('name = "soak"\n[grid]\nmethod = ["noop"]\nmodality = ["text"]\nforget_fraction = [5]\n')
        f.write("seed = [" + ", ".join(str(s) for s in range(seeds)) + "]\n")
        f.write("[grid.hparams.noop]\n")
        f.write("x = [" + ", ".join(f"{(i + 1) / (xs + 1):.6f}" for i in range(xs)) + "]\n")
        f.write(f"seconds = [{seconds}]\n")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def lock_pid(results):
    try:
        host, pid = open(results + ".lock").read().split()[:2]
        return int(pid)
    except (OSError, ValueError):
        return None


def worker_pids(events):
    pids = []
    try:
        for line in open(events):
            e = json.loads(line)
            if e.get("event") == "worker_up":
                pids.append(int(e["pid"]))
    except (OSError, ValueError):
        pass
    return pids


def stored_ids(results):
    with h5py.File(results, "r") as f:
        ids = f["runs"]["job_id"]
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]


def journal_ids(results):
    ids = []
    with open(results + ".journal") as f:
        for line in f:
            line = line.strip()
            if line:
                ids.append(json.loads(line)["job_id"])
    return ids


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ranks", type=int, default=16)
    p.add_argument("--jobs", type=int, default=20000)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--seconds", type=float, default=0.05, help="each noop job's sleep")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--binary", default="build/clear-sweep")
    p.add_argument("--mpirun", default="mpirun")
    p.add_argument("--dir", default="build/soak")
    a = p.parse_args()
    rng = random.Random(a.seed)
    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    sweep, results = os.path.join(a.dir, "soak.toml"), os.path.join(a.dir, "soak.h5")
    write_sweep(sweep, a.jobs, a.seconds)
    plan = json.loads(subprocess.run([a.binary, "plan", sweep, "--format", "json"], check=True,
                                     capture_output=True, text=True).stdout)
    grid = set(plan["job_ids"])
    log(f"soak: {len(grid)} noop jobs ({a.seconds} s each), {a.ranks} ranks on {os.cpu_count()} cores, "
        f"{a.kills} kills")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    start = time.time()
    rounds, kills = [], {"worker": 0, "coordinator": 0}
    while True:
        r = len(rounds)
        events = os.path.join(a.dir, f"events-{r}.jsonl")
        cmd = [a.mpirun, "-np", str(a.ranks), "--oversubscribe", a.binary, "run", sweep, "--out", results,
               "--quiet", "--log-json", events]
        t0 = time.time()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(events + ".log", "w"),
                                start_new_session=True)
        victim = None
        if r < a.kills:
            time.sleep(rng.uniform(1.0, 5.0))
            target = "coordinator" if rng.random() < 0.4 else "worker"
            # The ranks may still be starting: look for the victim until the run ends.
            while victim is None and proc.poll() is None:
                pids = [lock_pid(results)] if target == "coordinator" else worker_pids(events)
                pids = [pid for pid in pids if pid and pid_alive(pid)]
                if pids:
                    os.kill(rng.choice(pids), signal.SIGKILL)
                    victim = target
                    kills[target] += 1
                else:
                    time.sleep(0.1)
        try:
            code = proc.wait(timeout=1800)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # mpirun left behind after an abort
            code = proc.wait()
        # Open MPI 4.1's mpirun can outlive its ranks after an abort: end the session.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        pid = lock_pid(results)
        for _ in range(400):
            if not pid or not pid_alive(pid):
                break
            time.sleep(0.05)
        stored = len(stored_ids(results)) if os.path.exists(results) else 0
        rounds.append({"round": r, "killed": victim, "exit": code, "seconds": round(time.time() - t0, 1),
                       "stored": stored})
        log(f"round {r}: killed {victim or 'nothing'}, exit {code}, {rounds[-1]['seconds']} s, {stored} stored")
        if code == 0 and victim is None:
            break
        if r > a.kills + 5:
            log("error: the grid did not complete")
            return 1
    ids = stored_ids(results)
    journal = journal_ids(results)
    duplicates = len(ids) - len(set(ids))
    summary = {
        "jobs": len(grid), "ranks": a.ranks, "cores": os.cpu_count(), "rounds": len(rounds),
        "worker_kills": kills["worker"], "coordinator_kills": kills["coordinator"],
        "seconds": round(time.time() - start, 1), "stored": len(ids), "duplicates": duplicates,
        "missing": len(grid - set(ids)), "outside_grid": len(set(ids) - grid),
        "journal_lines": len(journal), "journal_not_in_file": len(set(journal) - set(ids)),
        "file_not_in_journal": len(set(ids) - set(journal)),
    }
    log(json.dumps(summary, indent=1))
    ok = (duplicates == 0 and summary["missing"] == 0 and summary["outside_grid"] == 0
          and summary["journal_not_in_file"] == 0 and summary["file_not_in_journal"] == 0)
    log("soak: " + ("every job stored exactly once; file and journal agree" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
