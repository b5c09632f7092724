"""Qwen2-VL's multimodal rotary positions (issue 35): clear-sweep's against transformers'
Qwen2VLModel.get_rope_index on a tiny random model, for batches that mix text-only rows,
one and two images of different grids (square, wide, tall), images at the start and at
the end, and left and right padding; and grids that do not match the image tokens are
refused naming image_grid_thw.

usage: test_mrope_positions.py MROPE_DUMP"""
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_reference import check, finish, require  # noqa: E402

require("torch", "transformers")
import torch  # noqa: E402
from transformers import Qwen2VLConfig, Qwen2VLModel  # noqa: E402

DUMP = sys.argv[1]
IMAGE, START, END, PAD = 7, 5, 6, 0
MERGE = 2

config = Qwen2VLConfig(
    text_config={"vocab_size": 64, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                 "num_attention_heads": 2, "num_key_value_heads": 1, "bos_token_id": 1, "eos_token_id": 2,
                 "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3]}},
    vision_config={"depth": 1, "embed_dim": 16, "hidden_size": 32, "num_heads": 2, "spatial_merge_size": MERGE,
                   "patch_size": 2, "temporal_patch_size": 2},
    image_token_id=IMAGE, vision_start_token_id=START, vision_end_token_id=END)
model = Qwen2VLModel(config).eval()
rng = random.Random(5)


def text(n):
    return [rng.randrange(10, 64) for _ in range(n)]


def row(grids):
    """Text, then for each grid <vision_start> image tokens <vision_end> and more text."""
    ids = text(rng.randrange(0, 5))
    for t, h, w in grids:
        ids += [START] + [IMAGE] * (t * h * w // MERGE ** 2) + [END] + text(rng.randrange(0, 4))
    return ids


def batch(rows_grids, left):
    rows = [row(g) for g in rows_grids]
    length = max(len(r) for r in rows)
    ids, mask = [], []
    for r in rows:
        pad = [PAD] * (length - len(r))
        ids.append(pad + r if left else r + pad)
        mask.append([0] * len(pad) + [1] * len(r) if left else [1] * len(r) + [0] * len(pad))
    return {"ids": ids, "mask": mask, "grids": rows_grids, "image_token": IMAGE, "merge": MERGE}


GRIDS = [(1, 4, 4), (1, 2, 6), (1, 8, 2), (1, 6, 6), (1, 2, 2)]
cases = []
for n in range(24):
    rows_grids = [[rng.choice(GRIDS) for _ in range(rng.choice([0, 1, 1, 2]))] for _ in range(rng.randrange(1, 4))]
    if not any(rows_grids):
        rows_grids[0] = [rng.choice(GRIDS)]
    cases.append(batch(rows_grids, left=n % 2 == 0))
# An image first and last in its row, no text around it but the vision markers.
cases.append({"ids": [[START] + [IMAGE] * 4 + [END]], "mask": [[1] * 6], "grids": [[[1, 4, 4]]],
              "image_token": IMAGE, "merge": MERGE})

run = subprocess.run([DUMP], input=json.dumps(cases), capture_output=True, text=True)
check(run.returncode == 0, f"mrope_dump runs ({run.stderr.strip()[-300:]})")
got = json.loads(run.stdout) if run.returncode == 0 else []
for n, (case, ours) in enumerate(zip(cases, got)):
    ids = torch.tensor(case["ids"])
    mask = torch.tensor(case["mask"])
    grids = [g for row_grids in case["grids"] for g in row_grids]
    with torch.no_grad():
        positions, deltas = model.get_rope_index(ids, mm_token_type_ids=(ids == IMAGE).int(),
                                                 image_grid_thw=torch.tensor(grids), attention_mask=mask)
    want = [{"positions": positions[:, r].tolist(), "delta": int(deltas[r, 0])} for r in range(ids.shape[0])]
    check(ours.get("rows") == want, f"case {n} ({len(grids)} images in {ids.shape[0]} rows, "
                                    f"{'left' if n % 2 == 0 else 'right'} padding): positions and deltas equal "
                                    f"get_rope_index's" + ("" if ours.get("rows") == want else f" ({ours} vs {want})"))
check(len(got) == len(cases), "one answer per case")

# Grids that do not fit the image tokens: refused naming image_grid_thw.
bad = [dict(cases[-1], grids=[[[1, 4, 6]]]), dict(cases[-1], grids=[[[1, 4, 4], [1, 2, 2]]]), dict(cases[-1], grids=[[]])]
run = subprocess.run([DUMP], input=json.dumps(bad), capture_output=True, text=True)
answers = json.loads(run.stdout) if run.returncode == 0 else []
check(len(answers) == 3 and all(a.get("error") == "image_grid_thw" for a in answers),
      f"grids that do not fit the image tokens are refused naming image_grid_thw ({answers})")
finish()
