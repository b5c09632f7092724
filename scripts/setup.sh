#!/usr/bin/env bash
# Sets clear-sweep up from nothing on Debian 12: installs the Debian packages it needs
# (only those missing, so a second run is quick), the pinned torch of
# requirements/torch.txt into the repository's .venv (its libtorch is what we build
# against; never the system Python), then configures and builds Release into build/.
# Where nvcc is found the build is CUDA-enabled, else CPU (cmake/find_torch.cmake).
# Every other script starts here. Environment:
#   BUILD_DIR   build folder (default: build)
#   BUILD_TYPE  CMake build type (default: Release)
#   JOBS        parallel compile jobs (default: number of cores)
#   EXTRA_PACKAGES  more Debian packages to install (scripts/test.sh: Slurm for its test)
#   VENV        the virtual environment (default: .venv in the repository)
#   CMAKE_ARGS  more cmake arguments, e.g. -DTorch_DIR=... for another libtorch
#   REFERENCE   1: also install requirements/reference.txt (scripts/test.sh does)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
build_type="${BUILD_TYPE:-Release}"
jobs="${JOBS:-$(nproc)}"

packages=(
  g++ cmake ninja-build pkg-config          # toolchain
  python3-venv                               # .venv, for PyPI's torch (libtorch)
  libopenmpi-dev openmpi-bin                 # the coordinator and workers
  libhdf5-dev                                # results files
  libboost-serialization-dev                 # MPI messages
  libtomlplusplus-dev                        # sweep files
  libcli11-dev nlohmann-json3-dev            # command line, JSON output
  libssl-dev                                 # SHA-256 for ids and content addresses
  libstb-dev libsentencepiece-dev            # images (PNG/JPEG), Llama tokenizers
  libpcre2-dev libutf8proc-dev               # tokenizer.json: Unicode-class patterns, NFC
  catch2                                     # tests
)
# shellcheck disable=SC2206  # a space-separated list
packages+=(${EXTRA_PACKAGES:-})

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The pinned torch, into .venv (a second run finds it installed and skips pip); with
# REFERENCE=1 also the reference packages the tests compare with (transformers, PEFT ...).
venv="${VENV:-$root/.venv}"
[[ -x "$venv/bin/python" ]] || /usr/bin/python3 -m venv "$venv"
install_pinned() {
  local pending
  pending=$("$venv/bin/python" -m pip install --disable-pip-version-check --dry-run -r "$1" 2>&1 || true)
  if [[ "$pending" == *"Would install"* ]]; then  # pip says so only without -q
    echo "setup: installing $(sed 's/#.*//' "$1" | xargs) into $venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$1"
  fi
}
install_pinned "$root/requirements/torch.txt"
[[ "${REFERENCE:-0}" == 1 ]] && install_pinned "$root/requirements/reference.txt"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# Keep the generator of an existing build folder: CMake refuses to switch it.
[[ -f "$build_dir/CMakeCache.txt" ]] && generator=()
mkdir -p "$build_dir"
# shellcheck disable=SC2086  # CMAKE_ARGS is a space-separated list
if ! cmake -S "$root" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$build_type" \
       -DCLEAR_SWEEP_PYTHON="$venv/bin/python" ${CMAKE_ARGS:-} >"$build_dir/configure.log" 2>&1; then
  cat "$build_dir/configure.log" >&2
  exit 1
fi
grep -o "clear-sweep: .*" "$build_dir/configure.log" || true  # CUDA or CPU, and which libtorch
# BUILD_TARGETS: what to build (default: everything, tests included); the main command
# builds only the program and its model module.
# shellcheck disable=SC2086  # a space-separated list of targets
cmake --build "$build_dir" --parallel "$jobs" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
echo "setup: built $build_dir/clear-sweep ($build_type)"
