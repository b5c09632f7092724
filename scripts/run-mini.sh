#!/usr/bin/env bash
# README's main command: set up, then run the embedded default sweep, sweeps/mini.toml,
# end to end: the synthetic world (in memory, from its seed), the base and gold models
# of the tiny preset (trained on the first run, then reused from results/artifacts), and
# the unlearning grid under mpirun (rank 0 coordinates, 2 workers), results in
# results/mini.h5 (a rerun resumes it). Then `status` summarises the file, `report`
# prints the leaderboard and writes it as one HTML page with the trade-off plots.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Only what it runs: clear-sweep and its model module, not the test suite.
BUILD_TARGETS=clear-sweep "$root/scripts/setup.sh"
bin="${BUILD_DIR:-$root/build}/clear-sweep"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI and containers run as root
cd "$root"
"$bin" plan sweeps/mini.toml --ranks 3
mpirun -np 3 --oversubscribe "$bin" run sweeps/mini.toml --progress 30 --out results/mini.h5
"$bin" status results/mini.h5
"$bin" report results/mini.h5
"$bin" report results/mini.h5 --format html --out results/mini-report.html >/dev/null
echo
echo "results: $root/results/mini.h5"
echo "report:  $root/results/mini-report.html (tables and forget-against-retain plots; open it in a browser)"
