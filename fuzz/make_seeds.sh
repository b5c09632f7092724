#!/usr/bin/env bash
# Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/seed-*: real
# inputs of each reader, made by this build (build/clear-sweep) and the repository's own
# files. Inputs that once failed are kept beside them as regression-*, and never
# rewritten here. Run from the repository root after building: fuzz/make_seeds.sh
set -euo pipefail
root=$(pwd)
cs="$root/build/clear-sweep"
py="$root/.venv/bin/python"
out="$root/fuzz/corpus"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seed() { mkdir -p "$out/$1"; cp "$2" "$out/$1/seed-$3"; }

# sweep_toml: every shipped sweep.
for f in sweeps/*.toml; do seed sweep_toml "$f" "$(basename "$f")"; done

# dataset: the worlds fuzz_dataset builds (the same sizes), each file with its selector
# byte (the files sorted by name, CLEAR's folder first).
"$cs" data synth --out "$work/clear" --persons 4 --images-per-person 1 --holdout 2 --celebrities 4 \
  --images-per-celebrity 1 --objects 4 --image-size 16 --seed 1 >/dev/null
"$cs" data synth --out "$work/mllmu" --benchmark mllmu --persons 4 --holdout 2 --celebrities 4 --image-size 16 \
  --seed 1 >/dev/null
"$py" - "$work" "$out/dataset" <<'PY'
import os, sys
work, dest = sys.argv[1], sys.argv[2]
os.makedirs(dest, exist_ok=True)
selector = 0
for world in ("clear", "mllmu"):
    folder = os.path.join(work, world)
    for name in sorted(n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n))):
        data = open(os.path.join(folder, name), "rb").read()
        open(os.path.join(dest, f"seed-{world}-{name}"), "wb").write(bytes([selector]) + data)
        selector += 1
PY

# image: a PNG of the world, and the same as JPEG and as 8-bit grey and RGBA PNGs.
png=$(find "$work/clear" -name '*.png' | sort | head -1)
seed image "$png" face.png
"$py" - "$png" "$out/image" <<'PY'
import sys
from PIL import Image
image = Image.open(sys.argv[1]).convert("RGB")
image.save(f"{sys.argv[2]}/seed-face.jpg", quality=80)
image.convert("L").save(f"{sys.argv[2]}/seed-grey.png")
image.convert("RGBA").save(f"{sys.argv[2]}/seed-rgba.png")
image.save(f"{sys.argv[2]}/seed-progressive.jpg", progressive=True)
PY

# tokenizer, model_config, safetensors: a tiny model folder of finetune.
cat > "$work/tiny.toml" <<'TOML'
name = "seeds"
[data]
persons = 4
images_per_person = 1
seed = 1
[model]
preset = "tiny"
[finetune]
epochs = 1
[grid]
method = ["ga"]
modality = ["text"]
forget_fraction = [25]
TOML
"$cs" finetune "$work/tiny.toml" --artifacts "$work/artifacts" >/dev/null 2>&1
model=$(dirname "$(find "$work/artifacts" -name config.json | sort | head -1)")
seed tokenizer "$model/tokenizer.json" bpe.json
seed model_config "$model/config.json" tiny.json
# Hugging Face's llava-1.5 layout, as transformers writes it.
"$py" - "$out/model_config" <<'PY'
import sys
from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig
config = LlavaConfig(vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                                    num_attention_heads=4, image_size=32, patch_size=8),
                     text_config=LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                             num_attention_heads=4, vocab_size=600))
open(f"{sys.argv[1]}/seed-llava-hf.json", "w").write(config.to_json_string())
PY
mkdir -p "$out/safetensors"
"$py" - "$out/safetensors" <<'PY'
import json, struct, sys
import numpy as np
header = {"__metadata__": {"format": "pt"},
          "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
          "b": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]},
          "c": {"dtype": "I64", "shape": [], "data_offsets": [32, 40]}}
text = json.dumps(header).encode()
data = np.arange(6, dtype=np.float32).tobytes() + bytes(8) + struct.pack("<q", 7)
open(f"{sys.argv[1]}/seed-three.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + data)
PY

# journal, results_file: a small noop sweep's, with a failed job among them.
cat > "$work/noop.toml" <<'TOML'
name = "seeds"
[grid]
method = ["noop"]
modality = ["text"]
forget_fraction = [5]
seed = [0, 1]
[grid.hparams]
seconds = [0.0]
fail_rate = [0.0, 1.0]
TOML
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe \
  "$cs" run "$work/noop.toml" --out "$work/noop.h5" --quiet >/dev/null 2>&1 || true  # exit 1: jobs failed
seed journal "$work/noop.h5.journal" noop.journal
# results_file (fuzz_results_file.cpp): a selector byte, then for odd ones where to cut
# the target's valid file, for even ones the bytes of a file that is not HDF5.
mkdir -p "$out/results_file"
"$py" - "$work/noop.h5" "$work/noop.h5.journal" "$out/results_file" <<'PY'
import struct, sys
h5, journal, dest = sys.argv[1:4]
for name, cut in (("whole", 0xFFFFFFFF), ("half", 20000), ("superblock", 40), ("empty", 0)):
    open(f"{dest}/seed-cut-{name}", "wb").write(bytes([1]) + struct.pack("<I", cut))
open(f"{dest}/seed-journal-as-results", "wb").write(bytes([0]) + open(journal, "rb").read()[:4000])
open(f"{dest}/seed-hdf5-spoiled", "wb").write(bytes([0]) + open(h5, "rb").read()[:20000])
PY
ls "$out"/* | wc -l
