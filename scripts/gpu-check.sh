#!/usr/bin/env bash
# The GPU check: anyone with one NVIDIA GPU runs this, with no downloads, from a built
# tree (scripts/setup.sh builds one; on a machine that downloads nothing, bring the
# repository with build/ and .venv/ in place). It
#   1. runs the model tests on CUDA: bf16 logits against float32 CPU logits, fused
#      attention against the reference, a bf16 checkpoint loaded onto the GPU;
#   2. benchmarks a LoRA step on the real llava-1.5-7b shape with random weights (r=8 on
#      every decoder linear, 576 image + TEXT text tokens, batch BATCH, bf16): tokens/s,
#      MFU and peak memory (bench/model/gpu_bench.cpp writes out its FLOP formula);
#   2a. the optimiser step alone, torch::optim::AdamW against the fused kernel; 2b. with
#      activation checkpointing; 2c. the same step under each fused attention kernel (flash, memory-efficient, cuDNN);
#   3. measures greedy generation with the KV cache on the same shape, at BATCH rows and
#      (3b) at the evaluator's generation batch, GEN_BATCH (64); (3c) the peers:
#      transformers' generate() eager and with its static cache at both batches, and
#      PEFT's LoRA step (bench/model/hf_peer.py, PEER_PYTHON: .venv's python);
#   4. estimates the CLEAR paper grid in GPU-hours from the measured steps (plan): first
#      with evaluation counted as forward passes (the old, optimistic pricing), then with
#      generation priced as decoding steps, from a device profile written here
#      (profile.json: step_seconds and step_items of step 2, decode_seconds and
#      decode_batch of step 3b's decoding step, or of step 3's where 3b failed);
#   4b. the text-only families (TEXT_FAMILIES=0 skips it): a LoRA step (TEXT_SEQ tokens,
#      512) and greedy generation of the 1B and 7B shapes of llama, mistral and qwen2,
#      and TOFU's and CLEAR Table 1's paper grids at the measured steps (profile-PRESET.json);
#   4c. Qwen2-VL, LLaVA-NeXT and Idefics2 (QWEN_VL=0 skips it): a LoRA step (one image
#      and TEXT_SEQ text tokens a row) and greedy generation of the qwen2-vl-2b,
#      qwen2.5-vl-3b, qwen2.5-vl-7b, llava-v1.6-vicuna-7b, llava-v1.6-mistral-7b and
#      idefics2-8b shapes, and CLEAR's Qwen2-VL and MLLMU-Bench's Qwen2.5-VL and
#      Idefics2 grids at the measured steps (profile-PRESET.json);
#   5. runs the mini sweep on the GPU, or without mpirun its finetune stage (SWEEP=0
#      skips it).
# Every number goes to OUT_DIR (default results/gpu-check) as JSON lines and a log.
# Environment: BUILD_DIR, OUT_DIR, BATCH (4), TEXT (64), STEPS (10), NEW (64), GEN_BATCH (64),
# SWEEP (1).
#
# For a GPU machine that has a Python torch 2.11 but neither our build tools nor
# Debian's libraries: `scripts/gpu-check.sh bundle` (here, after a build) copies the
# binaries and every shared library they need but libtorch's own into .gpu-bundle/
# (about 35 MB, ignored by git); there, the script runs from the bundle, with the
# libtorch of the machine's python3. The mini sweep also needs mpirun there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
bundle="$root/.gpu-bundle"

if [[ "${1:-}" == bundle ]]; then
  rm -rf "$bundle" && mkdir -p "$bundle/tests" "$bundle/bench/model" "$bundle/lib"
  cp "$build/clear-sweep" "$build"/lib*.so "$bundle/"
  cp "$build/tests/test_model" "$bundle/tests/"
  cp "$build/bench/model/gpu_bench" "$bundle/bench/model/"
  # Every library they load but libtorch's (the machine's torch brings those), glibc's
  # and the compiler runtime's (a machine with a newer glibc has a newer libstdc++).
  ldd "$bundle/clear-sweep" "$bundle"/lib*.so "$bundle/tests/test_model" "$bundle/bench/model/gpu_bench" |
    awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
    grep -v -E '/torch/lib/|/nvidia/|/(libc|libm|libdl|librt|libpthread|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so' |
    xargs -I{} cp -L {} "$bundle/lib/"
  echo "gpu-check: bundle in $bundle ($(du -sh "$bundle" | cut -f1)); carry it with the repository"
  exit 0
fi
if [[ ! -x "$build/clear-sweep" && -x "$bundle/clear-sweep" ]]; then
  build="$bundle"
  torch_lib=$(python3 -c "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")
  export LD_LIBRARY_PATH="$bundle/lib:$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
out="${OUT_DIR:-$root/results/gpu-check}"
batch="${BATCH:-4}" text="${TEXT:-64}" steps="${STEPS:-10}" new="${NEW:-64}" gen_batch="${GEN_BATCH:-64}"
mkdir -p "$out"
log="$out/gpu-check.log"
: >"$log"
say() { echo "gpu-check: $*" | tee -a "$log"; }
field() { sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" "$1" | head -1; }  # a number of a gpu_bench line
step_seconds() { field "$1" step_seconds; }                             # of a gpu_bench train line
# The device profile `plan --profile` reads (src/app/plan_command.h) from a gpu_bench
# train line and a generate line: its decoding step as gpu_bench timed it apart from the
# prompt's pass (decode_step_seconds).
write_profile() {  # TRAIN.json GENERATE.json PROFILE.json
  local step items decode rows
  step=$(field "$1" step_seconds) items=$(field "$1" batch)
  decode=$(field "$2" decode_step_seconds) rows=$(field "$2" batch)
  [[ -n "$step" && -n "$items" && -n "$decode" && -n "$rows" ]] || return 1
  printf '{"step_seconds": %s, "step_items": %d, "decode_seconds": %s, "decode_batch": %d}\n' \
    "$step" "$items" "$decode" "$rows" >"$3"
}
plan_lines() { grep -E "jobs:|estimated|^  (stages|grid|references|total)"; }  # plan's counts and cost

gpus=$(nvidia-smi -L 2>/dev/null || true)
echo "$gpus" | tee -a "$log"
if [[ "$gpus" != GPU* ]]; then
  say "no NVIDIA GPU visible here (nvidia-smi -L lists none): nothing to check"
  exit 2
fi
if [[ ! -x "$build/clear-sweep" || ! -x "$build/bench/model/gpu_bench" ]]; then
  say "no built tree in $build: building (scripts/setup.sh)"
  "$root/scripts/setup.sh"
fi
"$build/clear-sweep" --version | tee -a "$log"

say "1. model tests on CUDA (and the CPU references they compare with)"
failed=0
if ! "$build/tests/test_model" "[cuda],[attention],[precision],[checkpointing]" >"$out/tests.log" 2>&1; then
  failed=1
  say "model tests FAILED: see $out/tests.log"
fi
tail -3 "$out/tests.log" | tee -a "$log"

say "2. LoRA step, llava-1.5-7b shape, batch $batch, 576 + $text tokens, bf16"
"$build/bench/model/gpu_bench" train llava-1.5-7b "$batch" "$text" "$steps" cuda | tee -a "$log" "$out/train.json"

say "2a. the optimiser step alone over those adapters: torch::optim::AdamW against the fused kernel"
"$build/bench/model/gpu_bench" adamw llava-1.5-7b "$batch" "$text" "$steps" cuda | tee -a "$log" "$out/adamw.json"

say "2b. the same step with activation checkpointing (memory against time)"
"$build/bench/model/gpu_bench" train llava-1.5-7b "$batch" "$text" "$steps" cuda 0 checkpointing |
  tee -a "$log" "$out/train-checkpointing.json"

say "2c. the same step under each fused attention kernel (CLEAR_SWEEP_SDPA; auto is step 2)"
for kernel in flash efficient cudnn; do
  CLEAR_SWEEP_SDPA=$kernel "$build/bench/model/gpu_bench" train llava-1.5-7b "$batch" "$text" "$steps" cuda |
    sed "s/^{/{\"sdpa\": \"$kernel\", /" | tee -a "$log" "$out/train-sdpa-$kernel.json" ||
    say "the step under $kernel: no figure"
done

say "3. greedy generation with the KV cache, $new new tokens"
"$build/bench/model/gpu_bench" generate llava-1.5-7b "$batch" "$text" "$new" cuda | tee -a "$log" "$out/generate.json"
generate="$out/generate.json"
if [[ "$gen_batch" != "$batch" ]]; then
  say "3b. the same at the evaluator's generation batch, $gen_batch rows"
  if "$build/bench/model/gpu_bench" generate llava-1.5-7b "$gen_batch" "$text" "$new" cuda |
    tee -a "$log" "$out/generate-b$gen_batch.json" && [[ -n "$(field "$out/generate-b$gen_batch.json" seconds)" ]]; then
    generate="$out/generate-b$gen_batch.json"
  else
    say "generation at $gen_batch rows failed (memory?): decoding priced at $batch rows"
  fi
fi

say "3c. the peers on the same shape: transformers' generate() (eager, static cache), PEFT's LoRA step"
# Issue 36's goals: decoding >= 3x eager's tokens/s and above the static cache's; the
# LoRA step >= 45 % MFU (gpu_bench's FLOP count) beside PEFT's step time.
peer_python="${PEER_PYTHON:-$root/.venv/bin/python}"
[[ -x "$peer_python" ]] || peer_python=python3
for rows in "$batch" "$gen_batch"; do
  "$peer_python" "$root/bench/model/hf_peer.py" generate llava-1.5-7b "$rows" "$text" "$new" cuda |
    tee -a "$log" "$out/peer-generate-b$rows.json" || say "transformers' generation at $rows rows: no figure (exit $?)"
done
"$peer_python" "$root/bench/model/hf_peer.py" train llava-1.5-7b "$batch" "$text" "$steps" cuda |
  tee -a "$log" "$out/peer-train.json" || say "PEFT's LoRA step: no figure"

say "4. the CLEAR paper grid at the measured steps"
step_s=$(step_seconds "$out/train.json")
say "old pricing: evaluation counted as forward passes (optimistic)"
"$build/clear-sweep" plan "$root/sweeps/clear-paper.toml" --step-seconds "$step_s" --step-items "$batch" |
  plan_lines | tee -a "$log"
if write_profile "$out/train.json" "$generate" "$out/profile.json"; then
  say "new pricing: generation as decoding steps, profile $(cat "$out/profile.json")"
  "$build/clear-sweep" plan "$root/sweeps/clear-paper.toml" --profile "$out/profile.json" | plan_lines | tee -a "$log"
else
  say "no generation measurement to price decoding with"
fi

# A paper grid at a preset's measured steps: its LoRA step and its generation at BATCH rows.
price_grid() {  # SWEEP PRESET
  local profile="$out/profile-$2.json"
  if write_profile "$out/train-$2.json" "$out/generate-$2.json" "$profile"; then
    say "the $1 grid at $2's steps: $(cat "$profile")"
    "$build/clear-sweep" plan "$root/sweeps/$1.toml" --profile "$profile" | plan_lines | tee -a "$log"
  else
    local step_s
    step_s=$(step_seconds "$out/train-$2.json")
    say "the $1 grid at $2's step ($step_s s; no generation measured: evaluation as forward passes)"
    "$build/clear-sweep" plan "$root/sweeps/$1.toml" --step-seconds "$step_s" --step-items "$batch" |
      plan_lines | tee -a "$log"
  fi
}

if [[ "${TEXT_FAMILIES:-1}" != 0 ]]; then
  text_seq="${TEXT_SEQ:-512}"
  say "4b. text-only families: LoRA step (batch $batch, $text_seq tokens) and generation ($new new tokens)"
  for preset in llama-3.2-1b qwen2.5-1.5b llama-2-7b mistral-7b qwen2.5-7b; do
    "$build/bench/model/gpu_bench" train "$preset" "$batch" "$text_seq" "$steps" cuda |
      tee -a "$log" "$out/train-$preset.json"
    "$build/bench/model/gpu_bench" generate "$preset" "$batch" "$text_seq" "$new" cuda |
      tee -a "$log" "$out/generate-$preset.json"
  done
  for grid in tofu-paper:llama-3.2-1b tofu-paper-llama2:llama-2-7b clear-text-paper:llama-2-7b \
              clear-text-paper-mistral:mistral-7b; do
    price_grid "${grid%%:*}" "${grid#*:}"
  done
fi

if [[ "${QWEN_VL:-1}" != 0 ]]; then
  text_seq="${TEXT_SEQ:-512}"
  say "4c. Qwen2-VL, LLaVA-NeXT, Idefics2: LoRA step (batch $batch, an image + $text_seq tokens) and generation ($new new)"
  for preset in qwen2-vl-2b qwen2.5-vl-3b qwen2.5-vl-7b llava-v1.6-vicuna-7b llava-v1.6-mistral-7b idefics2-8b; do
    "$build/bench/model/gpu_bench" train "$preset" "$batch" "$text_seq" "$steps" cuda |
      tee -a "$log" "$out/train-$preset.json"
    "$build/bench/model/gpu_bench" generate "$preset" "$batch" "$text_seq" "$new" cuda |
      tee -a "$log" "$out/generate-$preset.json"
  done
  for grid in clear-qwen2vl:qwen2-vl-2b mllmu-qwen2.5vl:qwen2.5-vl-7b mllmu-idefics2:idefics2-8b; do
    price_grid "${grid%%:*}" "${grid#*:}"
  done
fi

if [[ "${SWEEP:-1}" != 0 ]] && ! command -v mpirun >/dev/null; then
  # No MPI launcher (a bare GPU machine): the sweep's first stage still runs in one
  # process, and it is where most of the mini sweep's training is.
  say "5. no mpirun here: the mini sweep's finetune stage alone, on the GPU"
  artifacts="${TMPDIR:-/tmp}/gpu-check-artifacts"
  rm -rf "$artifacts"
  start=$(date +%s)
  (cd "$root" && "$build/clear-sweep" finetune sweeps/mini.toml --device cuda --artifacts "$artifacts") 2>&1 |
    tail -5 | tee -a "$log"
  say "mini finetune stage on the GPU: $(( $(date +%s) - start )) s"
elif [[ "${SWEEP:-1}" != 0 ]]; then
  say "5. the mini sweep on the GPU (one worker)"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  start=$(date +%s)
  (cd "$root" && mpirun -np 2 --oversubscribe "$build/clear-sweep" run sweeps/mini.toml --progress 60 \
     --out "$out/mini-gpu.h5") 2>&1 | tee -a "$log"
  say "mini sweep: $(( $(date +%s) - start )) s"
  "$build/clear-sweep" report "$out/mini-gpu.h5" | tee -a "$log"
fi
say "done; numbers in $out"
exit "$failed"
