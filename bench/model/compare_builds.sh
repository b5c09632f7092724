#!/usr/bin/env bash
# Two builds of clear-sweep side by side (e.g. before and after a libtorch change):
# train_bench's LoRA steps on tiny and small and finetune_probe's full finetune of tiny,
# alternating between the builds RUNS times, one thread. Prints tokens/s per run.
#   bench/model/compare_builds.sh OLD_BUILD_DIR NEW_BUILD_DIR [RUNS]
set -euo pipefail
old="$1" new="$2" runs="${3:-3}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
for ((i = 0; i < runs; ++i)); do
  for b in "$old" "$new"; do
    tiny=$("$b/bench/model/train_bench" train tiny 16 64 20 1 | sed -n 's/.*"tokens_per_s": \([0-9.]*\).*/\1/p')
    small=$("$b/bench/model/train_bench" train small 8 128 4 1 | sed -n 's/.*"tokens_per_s": \([0-9.]*\).*/\1/p')
    finetune=$("$b/bench/model/finetune_probe" 10 4 2 3e-3 16 1 2>&1 | grep -o "[0-9]* tokens/s" | tail -1)
    echo "$b lora_tiny=$tiny lora_small=$small finetune_tiny=$finetune"
  done
done
