"""scripts/export_mllmu.py on a downloaded copy of MLLMU-Bench's dataset repository,
written here in its layout by the real `datasets` (parquet, images as Hugging Face Image
structs {bytes, path}, nested task columns, ft_Data's `metadata` as a JSON string) and
read by the script with `pyarrow`. The export must pass `clear-sweep data stats` (the
C++ loader validates every record), and every question, option, answer and Type of the
copy must come back in mllmu.jsonl with its role, profile and image.

usage: test_export_mllmu.py CLEAR_SWEEP"""
import io
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
from hf_reference import check as record, finish, require  # noqa: E402


def check(condition, message, detail=""):
    record(condition, message + (f": {detail}" if detail and not condition else ""))


require("datasets", "pyarrow", "PIL", "numpy")
import numpy as np  # noqa: E402
from datasets import Dataset, Features, Image, Value  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

CLEAR_SWEEP = sys.argv[1]


def picture(seed, fmt="PNG"):
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    PILImage.fromarray(rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)).save(buffer, format=fmt)
    return {"bytes": buffer.getvalue(), "path": f"img{seed}.{fmt.lower()}"}


CHOICE = {"Question": Value("string"), "Correct_Answer": Value("string"),
          "Options": {k: Value("string") for k in "ABCD"}}
OPEN = {"Question": Value("string"), "Ground_Truth": Value("string"), "Type": Value("string")}
TASKS = {"Classification_Task": {"Image_Textual_Questions": [CHOICE], "Pure_Text_Questions": [CHOICE]},
         "Generation_Task": [OPEN], "Mask_Task": [OPEN]}
SPLIT = Features({"image": Image(), "ID": Value("string"), **TASKS})
TEST = Features({"images": [Image()], "ID": Value("string"), **TASKS})
FT = Features({"image": Image(), "ID": Value("string"), "metadata": Value("string")})


def tasks(key, tag):
    """Questions of profile `key`, each text naming it and `tag` (eval or test)."""
    def choice(kind, k):
        return {"Question": f"{tag} {kind} {k} about {key}?", "Correct_Answer": "ABCD"[(k + len(key)) % 4],
                "Options": {c: f"{key} option {c}{k}" for c in "ABCD"}}
    return {"Classification_Task": {"Image_Textual_Questions": [choice("image", k) for k in range(2)],
                                    "Pure_Text_Questions": [choice("text", k) for k in range(3)]},
            "Generation_Task": [{"Question": f"{tag} gen {k} {key}?", "Ground_Truth": f"{key} did thing {k}.",
                                 "Type": ["Image_Textual", "Pure_Text"][k % 2]} for k in range(2)],
            "Mask_Task": [{"Question": f"{tag} {key} was born in __.", "Ground_Truth": f"City{k} of {key}",
                           "Type": ["Pure_Text", "Image_Textual"][k % 2]} for k in range(2)]}


def write(folder, rows, features):
    os.makedirs(folder, exist_ok=True)
    Dataset.from_list(rows, features=features).to_parquet(os.path.join(folder, "train-00000-of-00001.parquet"))


PROFILES = [f"P{i:03d}" for i in range(20)]
CELEBRITIES = ["Celebrity A", "Celebrity B"]
FORGET = {5: PROFILES[:1], 10: PROFILES[:2], 15: PROFILES[:3]}

with tempfile.TemporaryDirectory() as root:
    repo = os.path.join(root, "MLLMU-Bench")
    write(os.path.join(repo, "ft_Data"),
          [{"image": picture(i), "ID": key,
            "metadata": json.dumps([{"Question": f"ft {q} {key}?", "Answer": f"{key} answer {q}."} for q in range(3)])}
           for i, key in enumerate(PROFILES)], FT)
    for pct, forget in FORGET.items():
        write(os.path.join(repo, f"forget_{pct}"),
              [{"image": picture(PROFILES.index(k)), "ID": k, **tasks(k, "eval")} for k in forget], SPLIT)
        write(os.path.join(repo, f"retain_{100 - pct}"),
              [{"image": picture(PROFILES.index(k)), "ID": k, **tasks(k, "eval")} for k in PROFILES if k not in forget],
              SPLIT)
    write(os.path.join(repo, "Test_Set"),
          [{"images": [picture(100 + i, "JPEG"), picture(200 + i)], "ID": k, **tasks(k, "test")}
           for i, k in enumerate(FORGET[15])], TEST)
    write(os.path.join(repo, "Retain_Set"),
          [{"image": picture(300 + i), "ID": k, **tasks(k, "eval")} for i, k in enumerate(CELEBRITIES)], SPLIT)

    out = os.path.join(root, "export")
    run = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_mllmu.py"), "--repo", repo,
                          "--out", out], capture_output=True, text=True)
    check(run.returncode == 0, "export_mllmu.py exits 0", run.stderr[-2000:])
    stats = subprocess.run([CLEAR_SWEEP, "data", "stats", out, "--format", "json"], capture_output=True, text=True)
    check(stats.returncode == 0, "clear-sweep data stats accepts the export", stats.stderr[-2000:])
    counted = json.loads(stats.stdout)
    check(counted.get("benchmark") == "mllmu", "data stats says it is MLLMU-Bench")
    per_profile = 9  # 2 + 3 choice, 2 cloze, 2 generation
    f15 = counted["splits"]["forget15"]
    check((f15["persons"], f15["mllmu_train"], f15["mllmu_questions"], f15["mllmu_test"]) ==
          (3, 3 * 3, 3 * per_profile, 3 * per_profile), "data stats counts forget15's items by role", str(f15))
    cel = counted["splits"]["celebrity"]
    check((cel["persons"], cel["mllmu_train"], cel["mllmu_questions"]) == (2, 0, 2 * per_profile),
          "data stats counts the celebrity set", str(cel))

    manifest = json.load(open(os.path.join(out, "manifest.json")))
    persons = {json.loads(l)["person"]: json.loads(l)["name"] for l in open(os.path.join(out, "persons.jsonl"))}
    id_of = {name: pid for pid, name in persons.items()}
    check(sorted(persons.values()) == sorted(PROFILES + CELEBRITIES), "one person per profile and celebrity")
    check(sorted(manifest["splits"]["celebrity"]) == sorted(id_of[c] for c in CELEBRITIES), "the celebrity split")
    for pct, forget in FORGET.items():
        check(sorted(manifest["splits"]["forget%02d" % pct]) == sorted(id_of[k] for k in forget), f"forget{pct:02d}")
        check(len(manifest["splits"]["retain%02d" % (100 - pct)]) == len(PROFILES) - len(forget),
              f"retain{100 - pct}")
    check(manifest["forget_order"][:3] == [id_of[k] for k in FORGET[15]], "forget sets nest at the head of the order")

    items = [json.loads(l) for l in open(os.path.join(out, "mllmu.jsonl"))]
    check(manifest["counts"]["mllmu"] == len(items), "the manifest counts mllmu.jsonl")

    def expected(key, tag, role):
        t = tasks(key, tag)
        c = t["Classification_Task"]
        rows = [("choice", "Image_Textual", q["Question"], q["Correct_Answer"], [q["Options"][k] for k in "ABCD"])
                for q in c["Image_Textual_Questions"]]
        rows += [("choice", "Pure_Text", q["Question"], q["Correct_Answer"], [q["Options"][k] for k in "ABCD"])
                 for q in c["Pure_Text_Questions"]]
        rows += [("cloze", q["Type"], q["Question"], q["Ground_Truth"], None) for q in t["Mask_Task"]]
        rows += [("generation", q["Type"], q["Question"], q["Ground_Truth"], None) for q in t["Generation_Task"]]
        return sorted((id_of[key], role) + r[:4] + (tuple(r[4]) if r[4] else (),) for r in rows)

    def got(role, keys):
        return sorted((i["person"], i["role"], i["task"], i["type"], i["question"], i["answer"],
                       tuple(i.get("options", ()))) for i in items if i["role"] == role and persons[i["person"]] in keys)

    want_eval = [r for k in PROFILES + CELEBRITIES for r in expected(k, "eval", "eval")]
    check(got("eval", PROFILES + CELEBRITIES) == sorted(want_eval), "every split question once, as written",
          f"{len(got('eval', PROFILES + CELEBRITIES))} vs {len(want_eval)}")
    want_test = [r for k in FORGET[15] for r in expected(k, "test", "test")]
    check(got("test", PROFILES) == sorted(want_test), "every Test_Set question, as written")
    train = sorted((i["person"], i["question"], i["answer"]) for i in items if i["role"] == "train")
    check(train == sorted((id_of[k], f"ft {q} {k}?", f"{k} answer {q}.") for k in PROFILES for q in range(3)),
          "ft_Data's metadata pairs become train items")
    for i in items:
        if i["type"] == "Image_Textual":
            check(os.path.isfile(os.path.join(out, i["image"])), "image exists", i["image"])
        if i["role"] == "test" and i["type"] == "Image_Textual":
            data = open(os.path.join(out, i["image"]), "rb").read()
            k = FORGET[15].index(persons[i["person"]])
            check(data == picture(100 + k, "JPEG")["bytes"], "a test item is asked with the first Test_Set image")
            break

    # Never overwritten: a second export into the same folder fails and leaves it whole.
    again = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_mllmu.py"), "--repo", repo,
                            "--out", out], capture_output=True, text=True)
    check(again.returncode != 0 and "never overwritten" in again.stderr, "an existing export is not overwritten")
finish()
