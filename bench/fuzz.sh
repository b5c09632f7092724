#!/usr/bin/env bash
# Fuzzes every reader of outside input (fuzz/) with libFuzzer, ASan and UBSan, for a set
# time per target, two targets at a time (one per core of a 2-core machine), and prints
# a table of executions, corpus growth and findings for BENCHMARKS.md.
#
#   bench/fuzz.sh [SECONDS_PER_TARGET=300] [TARGET...]
#
# Builds build-fuzz/ with clang (Debian's clang and libclang-rt). Each target starts from
# fuzz/corpus/<target> and grows build-fuzz/corpus/<target>. A finding is written to
# build-fuzz/findings/ and makes the script exit 1: fix it, and keep the input as
# fuzz/corpus/<target>/regression-* so ctest replays it in every build.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sweep_toml dataset image tokenizer safetensors model_config journal results_file)

cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCLEAR_SWEEP_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --parallel "$(nproc)" >/dev/null
mkdir -p build-fuzz/findings build-fuzz/logs

run_target() {
  local t=$1 seconds=$2
  mkdir -p "build-fuzz/corpus/$t"
  # rss limit: a forged size must not make a reader allocate gigabytes; timeout: nor spin.
  "build-fuzz/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="build-fuzz/findings/$t-" "build-fuzz/corpus/$t" "fuzz/corpus/$t" \
    >"build-fuzz/logs/$t.log" 2>&1 || true
}
export -f run_target
printf '%s\n' "${targets[@]}" | xargs -P "$(nproc)" -I{} bash -c "run_target {} $seconds"

status=0
printf '%-14s %12s %10s %8s %s\n' target executions exec/s corpus findings
total=0
for t in "${targets[@]}"; do
  log="build-fuzz/logs/$t.log"
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  corpus=$(find "build-fuzz/corpus/$t" -type f | wc -l)
  found=$(find build-fuzz/findings -name "$t-*" -type f | wc -l)
  if grep -qE 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error|deadly signal' "$log"; then
    found=$((found > 0 ? found : 1))
  fi
  [ "$found" -eq 0 ] || status=1
  total=$((total + runs))
  printf '%-14s %12s %10s %8s %s\n' "$t" "$runs" "$rate" "$corpus" "$found"
done
echo "total executions: $total in $seconds s per target on $(nproc) cores ($(uname -n))"
exit $status
