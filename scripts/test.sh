#!/usr/bin/env bash
# README's test command: set up (packages + build), then run every test with ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
ctest --test-dir "${BUILD_DIR:-$root/build}" --output-on-failure --parallel "${JOBS:-$(nproc)}" "$@"
