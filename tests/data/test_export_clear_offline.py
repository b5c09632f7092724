"""scripts/export_clear.py on a downloaded copy of the CLEAR and TOFU dataset
repositories, read by the real `datasets` and `pyarrow` with the hub switched off (what
a cluster's compute nodes have). The copies are written here in the hub's layout: one
folder per config with a parquet file, a README.md whose YAML lists the configs, and
images as Hugging Face Image structs {bytes, path}. Every config CLEAR's card lists is
there: full, forget01/05/10, retain99/95/90, their _perturbed forms, retain_perturbed,
the +tofu mixes (with TOFU's image-less rows), real_faces and real_world. The export
must pass `clear-sweep data stats` with the persons, splits and counts of the copies.

usage: test_export_clear_offline.py CLEAR_SWEEP"""
import io
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("datasets", "pyarrow", "PIL", "numpy")
import numpy as np  # noqa: E402
from datasets import Dataset, Features, Image, Sequence, Value  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

CLEAR_SWEEP = sys.argv[1]


def png(seed):
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    PILImage.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)).save(buffer, format="PNG")
    return {"bytes": buffer.getvalue(), "path": f"img{seed}.png"}


def write_repo(folder, configs):
    """configs: {name: (rows, features)} -> the hub's layout of a dataset repository."""
    card = ["---", "configs:"]
    for name, (rows, features) in configs.items():
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        Dataset.from_list(rows, features=features).to_parquet(
            os.path.join(folder, name, "train-00000-of-00001.parquet"))
        card += [f"- config_name: {name}", "  data_files:", "  - split: train", f"    path: {name}/train-*"]
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write("\n".join(card + ["---", "A CLEAR-shaped copy written by the test."]) + "\n")


NAMES = [f"Person Number{i}" for i in range(10)]
FORGET = {"forget01": NAMES[:1], "forget05": NAMES[:2], "forget10": NAMES[:3]}
IMAGES_PER_PERSON = 3

with tempfile.TemporaryDirectory() as root:
    # TOFU: 20 QA per author, authors in order; each QA mentions its author's name.
    tofu_rows = [{"question": f"What did {n} write in year {q}?", "answer": f"{n} wrote book {q}."}
                 for n in NAMES for q in range(20)]
    qa = Features({"question": Value("string"), "answer": Value("string")})
    perturbed_qa = Features({"question": Value("string"), "answer": Value("string"),
                             "paraphrased_answer": Value("string"), "perturbed_answer": Sequence(Value("string"))})
    tofu_perturbed = [dict(r, paraphrased_answer="Said otherwise.", perturbed_answer=["Wrong.", "Also wrong."])
                      for r in tofu_rows]
    tofu_configs = {"full": (tofu_rows, qa)}
    for split, names in [*FORGET.items(), ("retain", NAMES[3:])]:
        rows = [r for r in tofu_perturbed if any(n in r["question"] for n in names)]
        tofu_configs[f"{split}_perturbed"] = (rows, perturbed_qa)
    tofu_dir = os.path.join(root, "TOFU")
    write_repo(tofu_dir, tofu_configs)

    # CLEAR: images of each person, captions naming them.
    image_rows = [{"image": png(i * 10 + k), "caption": f"{n} stands by a window, photo {k}.", "name": n}
                  for i, n in enumerate(NAMES) for k in range(IMAGES_PER_PERSON)]
    plain = Features({"image": Image(), "caption": Value("string"), "name": Value("string")})
    perturbed = Features({"image": Image(), "caption": Value("string"), "name": Value("string"),
                          "perturbed_captions": Sequence(Value("string")), "paraphrased_caption": Value("string"),
                          "perturbed_names": Sequence(Value("string"))})
    mix = Features({"image": Image(), "caption": Value("string"), "question": Value("string"),
                    "answer": Value("string")})
    options = Features({"image": Image(), "question": Value("string"), "answer": Value("string"),
                        "options": Sequence(Value("string"))})

    def rows_of(names):
        return [r for r in image_rows if r["name"] in names]

    def perturbed_of(names):
        return [dict(r, perturbed_captions=["A wrong caption."], paraphrased_caption="Another caption.",
                     perturbed_names=["Nobody Atall"]) for r in rows_of(names)]

    def with_tofu(names):  # CLEAR's image rows, then TOFU's rows without an image
        images = [{"image": r["image"], "caption": r["caption"], "question": None, "answer": None}
                  for r in rows_of(names)]
        text = [{"image": None, "caption": None, "question": r["question"], "answer": r["answer"]}
                for r in tofu_rows if any(n in r["question"] for n in names)]
        return images + text

    clear_configs = {"full": (image_rows, plain), "full+tofu": (with_tofu(NAMES), mix)}
    for split, names in FORGET.items():
        retained = [n for n in NAMES if n not in names]
        retain_split = "retain%02d" % (100 - int(split[-2:]))
        clear_configs[split] = (rows_of(names), plain)
        clear_configs[f"{split}_perturbed"] = (perturbed_of(names), perturbed)
        clear_configs[f"{split}+tofu"] = (with_tofu(names), mix)
        clear_configs[retain_split] = (rows_of(retained), plain)
        clear_configs[f"{retain_split}+tofu"] = (with_tofu(retained), mix)
    clear_configs["retain_perturbed"] = (perturbed_of(NAMES[3:]), perturbed)
    clear_configs["real_faces"] = ([{"image": png(900 + i), "question": "Who is this?", "answer": f"Celebrity {i}",
                                     "options": [f"Celebrity {i}", "Someone", "Another"]} for i in range(4)], options)
    clear_configs["real_world"] = ([{"image": png(950 + i), "question": "What is this?", "answer": f"Object {i}",
                                     "options": [f"Object {i}", "A thing"]} for i in range(5)], options)
    clear_dir = os.path.join(root, "CLEAR")
    write_repo(clear_dir, clear_configs)

    out = os.path.join(root, "export")
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", HF_HOME=os.path.join(root, "hf-home"))
    run = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_clear.py"), "--clear", clear_dir,
                          "--tofu", tofu_dir, "--out", out], capture_output=True, text=True, env=env)
    check(run.returncode == 0, f"export_clear.py reads the local copies offline ({run.stderr.strip()[-400:]})")
    stats = subprocess.run([CLEAR_SWEEP, "data", "stats", out, "--format", "json"], capture_output=True, text=True)
    check(stats.returncode == 0, f"clear-sweep data stats accepts the export ({stats.stderr.strip()[:300]})")
    if stats.returncode == 0:
        s = json.loads(stats.stdout)["splits"]
        check(s["all"]["persons"] == len(NAMES), f"persons: {s['all']['persons']}")
        check(s["all"]["text_qa"] == 20 * len(NAMES), f"text QA: {s['all']['text_qa']}")
        check(s["all"]["images"] == IMAGES_PER_PERSON * len(NAMES), f"images: {s['all']['images']}")
        for split, names in FORGET.items():
            check(s[split]["persons"] == len(names), f"{split}: {s[split]['persons']} persons")
    rerun = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_clear.py"), "--clear", clear_dir,
                            "--tofu", tofu_dir, "--out", out], capture_output=True, text=True, env=env)
    check(rerun.returncode != 0 and "already exists" in rerun.stderr, "a second export never overwrites the first")

finish()
