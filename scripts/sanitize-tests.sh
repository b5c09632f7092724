#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer (gcc), in its own
# build tree, build-asan/. Too slow for CI's time (every torch test would run several
# times slower), so a script: run it before a release, or after touching a parser.
#
#   scripts/sanitize-tests.sh          the suites without libtorch (parsers, sweep, data,
#                                      metrics, store, search, fuzz corpora replayed)
#   scripts/sanitize-tests.sh --all    every test (hours on 2 cores)
#
# Any sanitizer report fails the test it happens in (halt_on_error, exitcode).
set -euo pipefail
cd "$(dirname "$0")/.."
all=0
[ "${1:-}" = "--all" ] && all=1
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_C_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
  >/dev/null
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=0:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if [ $all = 1 ]; then
  cmake --build build-asan --parallel "$(nproc)"
  (cd build-asan && ctest --output-on-failure -j "$(nproc)")
else
  targets=(test_common test_sweep test_search test_data test_eval test_store test_report
           fuzz_sweep_toml fuzz_dataset fuzz_image fuzz_tokenizer fuzz_safetensors fuzz_model_config fuzz_journal
           fuzz_results_file snapshot_probe)
  cmake --build build-asan --parallel "$(nproc)" --target "${targets[@]}"
  # The SentencePiece test loads our shim with RTLD_DEEPBIND (it keeps the library's
  # protobuf apart from others), which the sanitizer runtime refuses to run.
  (cd build-asan && ctest --output-on-failure -j "$(nproc)" -R '^(test_(common|sweep|search|data|eval|store|report):|fuzz replay)' \
     -E 'export_clear|analysis|SentencePiece model round-trips')
fi
