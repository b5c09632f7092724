#!/usr/bin/env bash
# README's main command: set up, then run the embedded default sweep, sweeps/mini.toml.
#
# Until the model, data and methods land (issues 4-8), the pipeline runs as a dry run:
# the real coordinator and 2 workers under mpirun, stages and jobs as noop stand-ins,
# results in results/mini.dry-run.h5 (a rerun resumes it). Then `status` summarises it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
bin="${BUILD_DIR:-$root/build}/clear-sweep"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI and containers run as root
mkdir -p "$root/results"
"$bin" plan "$root/sweeps/mini.toml" --ranks 3
mpirun -np 3 --oversubscribe "$bin" run "$root/sweeps/mini.toml" --dry-run --progress 2 \
  --out "$root/results/mini.dry-run.h5"
"$bin" status "$root/results/mini.dry-run.h5"
