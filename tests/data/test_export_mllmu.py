"""scripts/export_mllmu.py on a downloaded copy of MLLMU-Bench's dataset repository,
written here in the hub's real layout (docs/dataset-format.md) by the real `datasets`
(parquet, images as Hugging Face Image structs {bytes, path}, nested task columns):
ft_Data's `metadata` a JSON string whose pairs carry the ID (no ID column), the names
inside `biography`, the forget sets drawn independently (they do not nest), celebrity IDs
that overlap the profiles' ("001".."004"), and a Test_Set of two parquet files with several
images a row. The export must pass `clear-sweep data stats` (the C++ loader validates
every record), every question, option, answer, Type, person, split and image must come
back as written, and rows the loader would refuse must stop the export before it writes.

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
SPLIT = Features({"image": Image(), "ID": Value("string"), "biography": Value("string"), **TASKS})
TEST = Features({"ID": Value("string"), "images": [Image()], **TASKS})
FT = Features({"image": Image(), "metadata": Value("string")})  # the ID only inside metadata


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


def bio(name, key):
    return json.dumps({"Name": name, "Born": f"City of {key}", "Employment": "Engineer",
                       "Parents": {"Father": "F " + key}})


def write(folder, rows, features, files=1):
    os.makedirs(folder, exist_ok=True)
    per = -(-len(rows) // files)
    for f in range(files):
        Dataset.from_list(rows[f * per:(f + 1) * per], features=features).to_parquet(
            os.path.join(folder, f"train-{f:05d}-of-{files:05d}.parquet"))


def export(repo, out):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_mllmu.py"), "--repo", repo,
                           "--out", out], capture_output=True, text=True)


PROFILES = [f"{i:03d}" for i in range(1, 21)]
NAMES = {k: f"Person {k} Smith" for k in PROFILES}
CELEBRITIES = [f"{i:03d}" for i in range(1, 5)]  # numbered as the profiles are
CELEBRITY_NAMES = {k: f"Celebrity {k}" for k in CELEBRITIES}
# Independent draws, as the authors' Data_split: forget_5 and forget_10 share one profile.
FORGET = {5: ["003"], 10: ["003", "011"], 15: ["007", "011", "019"]}


def make_repo(repo, bad_answer=False):
    write(os.path.join(repo, "ft_Data"),
          [{"image": picture(i),
            "metadata": json.dumps([{"Question": f"ft {q} {k}?", "Answer": f"{k} answer {q}.", "ID": k}
                                    for q in range(3)])}
           for i, k in enumerate(PROFILES)], FT)
    for pct, forget in FORGET.items():
        rows = [{"image": picture(PROFILES.index(k)), "ID": k, "biography": bio(NAMES[k], k), **tasks(k, "eval")}
                for k in forget]
        if bad_answer and pct == 10:
            rows[1]["Classification_Task"]["Pure_Text_Questions"][2]["Correct_Answer"] = "E"
        write(os.path.join(repo, f"forget_{pct}"), rows, SPLIT)
        write(os.path.join(repo, f"retain_{100 - pct}"),
              [{"image": picture(PROFILES.index(k)), "ID": k, "biography": bio(NAMES[k], k), **tasks(k, "eval")}
               for k in PROFILES if k not in forget], SPLIT)
    write(os.path.join(repo, "Test_Set"),
          [{"ID": k, "images": [picture(100 + i, "JPEG"), picture(200 + i), picture(300 + i)], **tasks(k, "test")}
           for i, k in enumerate(PROFILES)], TEST, files=2)
    write(os.path.join(repo, "Retain_Set"),
          [{"image": picture(400 + i), "ID": k, "biography": bio(CELEBRITY_NAMES[k], k), **tasks("c" + k, "eval")}
           for i, k in enumerate(CELEBRITIES)], SPLIT)


with tempfile.TemporaryDirectory() as root:
    repo = os.path.join(root, "MLLMU-Bench")
    make_repo(repo)
    out = os.path.join(root, "export")
    run = export(repo, out)
    check(run.returncode == 0, "export_mllmu.py exits 0", run.stderr[-2000:])
    stats = subprocess.run([CLEAR_SWEEP, "data", "stats", out, "--format", "json"], capture_output=True, text=True)
    check(stats.returncode == 0, "clear-sweep data stats accepts the export", stats.stderr[-2000:])
    counted = json.loads(stats.stdout or "{}")
    check(counted.get("benchmark") == "mllmu", "data stats says it is MLLMU-Bench")
    per_profile = 9  # 2 + 3 choice, 2 cloze, 2 generation
    f15 = counted.get("splits", {}).get("forget15", {})
    check((f15.get("persons"), f15.get("mllmu_train"), f15.get("mllmu_questions"), f15.get("mllmu_test")) ==
          (3, 3 * 3, 3 * per_profile, 3 * per_profile), "data stats counts forget15's items by role", str(f15))
    cel = counted.get("splits", {}).get("celebrity", {})
    check((cel.get("persons"), cel.get("mllmu_train"), cel.get("mllmu_questions")) == (4, 0, 4 * per_profile),
          "data stats counts the celebrity set", str(cel))

    manifest = json.load(open(os.path.join(out, "manifest.json")))
    rows = [json.loads(line) for line in open(os.path.join(out, "persons.jsonl"))]
    persons = {r["person"]: r for r in rows}
    check(len(persons) == len(PROFILES) + len(CELEBRITIES),
          "every profile and every celebrity is a person, though their IDs overlap", str(len(persons)))
    id_of = {r["name"]: r["person"] for r in rows}
    check(sorted(id_of) == sorted(list(NAMES.values()) + list(CELEBRITY_NAMES.values())),
          "names come from the biography's Name", str(sorted(id_of)[:3]))
    p = persons[id_of[NAMES["007"]]]
    check(p["facts"].get("Born") == "City of 007" and json.loads(p["facts"].get("Parents", "{}")) == {"Father": "F 007"},
          "the biography is kept as the person's facts", str(p["facts"]))
    pid = {k: id_of[NAMES[k]] for k in PROFILES}
    cid = {k: id_of[CELEBRITY_NAMES[k]] for k in CELEBRITIES}
    check(sorted(manifest["splits"]["celebrity"]) == sorted(cid.values()), "the celebrity split")
    for pct, forget in FORGET.items():
        check(manifest["splits"]["forget%02d" % pct] == sorted(pid[k] for k in forget),
              f"forget{pct:02d} exactly as published")
        check(manifest["splits"]["retain%02d" % (100 - pct)] == sorted(pid[k] for k in PROFILES if k not in forget),
              f"retain{100 - pct} exactly as published")
    check(manifest.get("splits_nest") is False, "the manifest says the splits do not nest")
    check(sorted(manifest["forget_order"]) == sorted(pid.values()), "forget_order lists every profile")

    items = [json.loads(line) for line in open(os.path.join(out, "mllmu.jsonl"))]
    check(manifest["counts"]["mllmu"] == len(items), "the manifest counts mllmu.jsonl")
    owner = {**{pid[k]: k for k in PROFILES}, **{cid[k]: "c" + k for k in CELEBRITIES}}

    def expected(key, tag, role, person):
        t = tasks(key, tag)
        c = t["Classification_Task"]
        rows = [("choice", "Image_Textual", q["Question"], q["Correct_Answer"], [q["Options"][k] for k in "ABCD"])
                for q in c["Image_Textual_Questions"]]
        rows += [("choice", "Pure_Text", q["Question"], q["Correct_Answer"], [q["Options"][k] for k in "ABCD"])
                 for q in c["Pure_Text_Questions"]]
        rows += [("cloze", q["Type"], q["Question"], q["Ground_Truth"], None) for q in t["Mask_Task"]]
        rows += [("generation", q["Type"], q["Question"], q["Ground_Truth"], None) for q in t["Generation_Task"]]
        return sorted((person, role) + r[:4] + (tuple(r[4]) if r[4] else (),) for r in rows)

    def got(role):
        return sorted((i["person"], i["role"], i["task"], i["type"], i["question"], i["answer"],
                       tuple(i.get("options", ()))) for i in items if i["role"] == role)

    want_eval = sorted([r for k in PROFILES for r in expected(k, "eval", "eval", pid[k])] +
                       [r for k in CELEBRITIES for r in expected("c" + k, "eval", "eval", cid[k])])
    check(got("eval") == want_eval, "every split and Retain_Set question once, as written",
          f"{len(got('eval'))} vs {len(want_eval)}")
    want_test = sorted(r for k in PROFILES for r in expected(k, "test", "test", pid[k]))
    check(got("test") == want_test, "every Test_Set question of both parquet files, as written")
    train = sorted((i["person"], i["question"], i["answer"]) for i in items if i["role"] == "train")
    check(train == sorted((pid[k], f"ft {q} {k}?", f"{k} answer {q}.") for k in PROFILES for q in range(3)),
          "ft_Data's metadata pairs become train items, keyed by the ID inside them")
    for i in items:
        if i["role"] == "test" and i["type"] == "Image_Textual":
            k = owner[i["person"]]
            n = PROFILES.index(k)
            stored = [open(os.path.join(out, rel), "rb").read() for rel in i.get("images", [])]
            check(stored == [picture(100 + n, "JPEG")["bytes"], picture(200 + n)["bytes"], picture(300 + n)["bytes"]],
                  "a Test_Set question keeps every image of its row, in order", f"{k}: {i.get('images')}")
            break
    for i in items:
        if i["role"] != "test" and i["type"] == "Image_Textual":
            check(os.path.isfile(os.path.join(out, i["image"])), "image exists", i["image"])

    # Never overwritten: a second export into the same folder fails and leaves it whole.
    again = export(repo, out)
    check(again.returncode != 0 and "never overwritten" in again.stderr, "an existing export is not overwritten")

    # A Correct_Answer that is no option's letter: refused before anything is written,
    # naming the config, the profile and the question.
    bad_repo = os.path.join(root, "bad")
    make_repo(bad_repo, bad_answer=True)
    bad_out = os.path.join(root, "bad-export")
    bad = export(bad_repo, bad_out)
    check(bad.returncode != 0 and "forget_10 row 1 (ID 011)" in bad.stderr and "Pure_Text_Questions[2]" in bad.stderr
          and "'E'" in bad.stderr and not os.path.exists(bad_out),
          "a bad Correct_Answer stops the export, named, with nothing written", bad.stderr[-400:])
    # A split row whose profile ft_Data does not have: a mix-up, refused.
    write(os.path.join(bad_repo, "forget_10"),
          [{"image": picture(0), "ID": "999", "biography": bio("Nobody", "999"), **tasks("999", "eval")}], SPLIT)
    mixed = export(bad_repo, bad_out)
    check(mixed.returncode != 0 and "profile 999 is not in ft_Data" in mixed.stderr and not os.path.exists(bad_out),
          "a split profile missing from ft_Data is refused", mixed.stderr[-400:])
finish()
