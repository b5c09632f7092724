#!/usr/bin/env bash
# README's test command: set up (packages + build), then run every test with ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The Slurm test starts a real one-node Slurm: its daemons come from Debian too; python3
# runs the export script's test, and with h5py, pandas and matplotlib the analysis test.
# REFERENCE=1: the reference packages (transformers, PEFT, the CLIP processor ...) that
# the reference tests compute their expected values with. chromium-headless-shell: the
# browser that loads the HTML report in its test.
REFERENCE=1 EXTRA_PACKAGES="${EXTRA_PACKAGES:-} slurm-wlm munge python3 python3-h5py python3-pandas python3-matplotlib chromium-headless-shell" \
  "$root/scripts/setup.sh"
ctest --test-dir "${BUILD_DIR:-$root/build}" --output-on-failure --parallel "${JOBS:-$(nproc)}" "$@"
