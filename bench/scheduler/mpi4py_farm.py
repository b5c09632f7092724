"""Peer for the scheduler benchmark: the same noop workload through mpi4py's task farm.

Run as `mpirun -np N python3 -m mpi4py.futures mpi4py_farm.py DURATIONS.json OUT.json`:
rank 0 submits, ranks 1..N-1 work, as in clear-sweep. Timing starts once every worker
is up (bootup), as clear-sweep's starts at its coordinator loop.
"""
import json
import sys
import time

from mpi4py.futures import MPIPoolExecutor


def task(seconds):
    if seconds > 0:
        time.sleep(seconds)
    return seconds


def main():
    durations = json.load(open(sys.argv[1]))
    with MPIPoolExecutor() as executor:
        executor.bootup(wait=True)
        start = time.perf_counter()
        for _ in executor.map(task, durations, unordered=True):
            pass
        makespan = time.perf_counter() - start
    json.dump({"makespan": makespan}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
