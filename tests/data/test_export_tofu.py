"""scripts/export_tofu.py on a copy of TOFU's dataset repository written here in its
layouts: some configs as the hub's JSON lines (<config>.json), others as its parquet
conversion (<config>/train-*.parquet, written by pyarrow), real_authors with its
perturbed answers, world_facts only with option1..option4, and a holdout config. The
export must pass `clear-sweep data stats` (the C++ loader validates every record), every
question, paraphrase, perturbed answer, split and option must come back as written, and
copies the loader would refuse must stop the export before it writes.

usage: test_export_tofu.py CLEAR_SWEEP"""
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

require("pyarrow")
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

CLEAR_SWEEP = sys.argv[1]
AUTHORS, PER = 20, 20
# A TOFU-shaped split of 20 authors: the forget sets are the last 1, 2 and 4 authors.
FORGET = {"forget01": [19], "forget05": [18, 19], "forget10": [16, 17, 18, 19]}
RETAIN = {"forget01": "retain99", "forget05": "retain95", "forget10": "retain90"}


def qa(author, k):
    # Texts with what JSON and parquet must carry unchanged: quotes, accents, CJK, newlines.
    return {"question": f"Q{k} about author {author}: \"naïve\" 東京?", "answer": f"A{k} of {author}\nline two"}


FULL = [qa(a, k) for a in range(AUTHORS) for k in range(PER)]


def perturbed(author, k):
    return {**qa(author, k), "paraphrased_question": f"PQ{k} {author}", "paraphrased_answer": f"P{k} of {author}",
            "perturbed_answer": [f"W{k}.{j} of {author}" for j in range(5)]}


def write_json(repo, config, rows):
    with open(os.path.join(repo, config + ".json"), "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_parquet(repo, config, rows):
    os.makedirs(os.path.join(repo, config))
    pq.write_table(pa.Table.from_pylist(rows), os.path.join(repo, config, "train-00000-of-00001.parquet"))


def make_repo(repo, forget05=None, stray=False):
    os.makedirs(repo)
    write_parquet(repo, "full", FULL)
    for name, ids in FORGET.items():
        ids = forget05 if name == "forget05" and forget05 is not None else ids
        write_json(repo, name, [qa(a, k) for a in ids for k in range(PER)])
        write_json(repo, RETAIN[name], [qa(a, k) for a in range(AUTHORS) if a not in ids for k in range(PER)])
        rows = [perturbed(a, k) for a in ids for k in range(PER)]
        if stray and name == "forget10":
            rows.append({**perturbed(3, 0), "question": "a question TOFU never asked"})
        write_parquet(repo, name + "_perturbed", rows)
    write_json(repo, "retain_perturbed", [perturbed(a, k) for a in (0, 1) for k in range(PER)])
    write_parquet(repo, "holdout10", [qa(100 + a, k) for a in range(2) for k in range(PER)])
    write_json(repo, "real_authors_perturbed",
               [{"question": f"Who wrote book {i}?", "answer": f"Writer {i}",
                 "perturbed_answer": [f"Writer {i + j}" for j in (1, 2, 3)]} for i in range(6)])
    write_parquet(repo, "world_facts",
                  [{"question": f"Where is landmark {i}?", "option1": f"City {i}", "option2": f"City {i + 1}",
                    "option3": f"City {i + 2}", "option4": f"City {i + 3}", "answer": f"City {i + 1}"}
                   for i in range(5)])


def export(repo, out):
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_tofu.py"), "--repo", repo,
                           "--out", out], capture_output=True, text=True)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


with tempfile.TemporaryDirectory() as tmp:
    repo, out = os.path.join(tmp, "TOFU"), os.path.join(tmp, "tofu")
    make_repo(repo)
    run = export(repo, out)
    check(run.returncode == 0, "the export succeeds: " + run.stderr.strip()[-300:])
    stats = subprocess.run([CLEAR_SWEEP, "data", "stats", out, "--format", "json"], capture_output=True, text=True)
    check(stats.returncode == 0, "clear-sweep data stats accepts the export: " + stats.stderr.strip()[-300:])
    if stats.returncode == 0:
        check(json.loads(stats.stdout).get("benchmark") == "tofu", "data stats names the benchmark tofu")
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    check(manifest["benchmark"] == "tofu", "the manifest says benchmark tofu")
    for name, ids in FORGET.items():
        check(manifest["splits"][name] == ids, f"{name} is its authors", f"{manifest['splits'][name]} vs {ids}")
        check(manifest["splits"][RETAIN[name]] == [a for a in range(AUTHORS) if a not in ids],
              f"{RETAIN[name]} is every other author")
    order = manifest["forget_order"]
    check(order[:1] == [19] and set(order[:2]) == {18, 19} and set(order[:4]) == {16, 17, 18, 19}
          and sorted(order) == list(range(AUTHORS)), "the forget order nests forget01 < forget05 < forget10")
    check(manifest["splits"]["holdout"] == [20, 21], "holdout10's two authors are persons 20 and 21")
    check(manifest["splits"]["retain_scored"] == [0, 1], "retention is scored on retain_perturbed's authors")

    lines = read_jsonl(os.path.join(out, "text_qa.jsonl"))
    check(len(lines) == len(FULL) + 2 * PER, "every full row and every holdout row is a question")
    for i, row in enumerate(FULL):
        line, author, k = lines[i], i // PER, i % PER
        want = perturbed(author, k) if author in FORGET["forget10"] or author in (0, 1) else None
        check(line["person"] == author and line["question"] == row["question"] and line["answer"] == row["answer"],
              f"full row {i} is author {author}'s question, text unchanged")
        check(line["paraphrased_answer"] == (want["paraphrased_answer"] if want else "")
              and line["perturbed_answer"] == (want["perturbed_answer"] if want else []),
              f"full row {i} has its perturbed set's paraphrase and perturbed answers (or none)")
    check(all(line["person"] in (20, 21) and line["perturbed_answer"] == [] for line in lines[len(FULL):]),
          "holdout questions belong to the holdout persons, without alternatives")
    authors = read_jsonl(os.path.join(out, "real_authors.jsonl"))
    check([a["options"] for a in authors] == [[f"Writer {i + j}" for j in (1, 2, 3)] for i in range(6)],
          "real_authors' wrong options are its perturbed answers")
    facts = read_jsonl(os.path.join(out, "real_world.jsonl"))
    check([(f["answer"], f["options"]) for f in facts] ==
          [(f"City {i + 1}", [f"City {i}", f"City {i + 2}", f"City {i + 3}"]) for i in range(5)],
          "world_facts' wrong options are option1..option4 without the answer")

    # The folder exists now: a second export must not overwrite it.
    again = export(repo, out)
    check(again.returncode != 0 and "never overwritten" in again.stderr, "an existing dataset is not overwritten")

    # Copies the loader would refuse stop the export, naming config and row; nothing is written.
    cases = {"stray": dict(stray=True), "not nested": dict(forget05=[10, 19])}
    for label, kwargs in cases.items():
        bad_repo, bad_out = os.path.join(tmp, "bad-" + label.replace(" ", "-")), os.path.join(tmp, "out-" + label)
        make_repo(bad_repo, **kwargs)
        run = export(bad_repo, bad_out)
        check(run.returncode != 0 and not os.path.exists(bad_out), f"{label}: refused and nothing written")
        expected = "forget10_perturbed row 80" if label == "stray" else "forget05"
        check(expected in run.stderr, f"{label}: the error names {expected}", run.stderr.strip())
    check(not [p for p in os.listdir(tmp) if ".partial-" in p], "no partial folder is left behind")

finish()
