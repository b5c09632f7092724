#!/usr/bin/env bash
# README's main command: set up, then run the embedded default sweep, sweeps/mini.toml.
#
# Until the coordinator, model and methods land (issues 3-8), the pipeline stops after
# `plan`: it validates the sweep and shows the jobs, stages and the schedule on 3 ranks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"${BUILD_DIR:-$root/build}/clear-sweep" plan "$root/sweeps/mini.toml" --ranks 3
