#!/usr/bin/env bash
# Sets clear-sweep up from nothing on Debian 12: installs the Debian packages it needs
# (only those missing, so a second run is quick), then configures and builds Release
# into build/. Every other script starts here. Environment:
#   BUILD_DIR   build folder (default: build)
#   BUILD_TYPE  CMake build type (default: Release)
#   JOBS        parallel compile jobs (default: number of cores)
#   EXTRA_PACKAGES  more Debian packages to install (scripts/test.sh: Slurm for its test)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
build_type="${BUILD_TYPE:-Release}"
jobs="${JOBS:-$(nproc)}"

packages=(
  g++ cmake ninja-build pkg-config          # toolchain
  libtorch-dev libopenblas0-pthread          # models (OpenBLAS: ~20x faster CPU matmuls)
  libopenmpi-dev openmpi-bin                 # the coordinator and workers
  libhdf5-dev                                # results files
  libboost-serialization-dev                 # MPI messages
  libtomlplusplus-dev                        # sweep files
  libcli11-dev nlohmann-json3-dev            # command line, JSON output
  libssl-dev                                 # SHA-256 for ids and content addresses
  libstb-dev libsentencepiece-dev            # images (PNG/JPEG), Llama tokenizers
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

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# Keep the generator of an existing build folder: CMake refuses to switch it.
[[ -f "$build_dir/CMakeCache.txt" ]] && generator=()
cmake -S "$root" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build "$build_dir" --parallel "$jobs"
echo "setup: built $build_dir/clear-sweep ($build_type)"
