#!/usr/bin/python3
"""Export MLLMU-Bench (Hugging Face `MLLMMU/MLLMU-Bench`, arXiv 2410.22108) into
clear-sweep's dataset format (docs/dataset-format.md), offline, from a downloaded copy of
the dataset repository:

    huggingface-cli download MLLMMU/MLLMU-Bench --repo-type dataset --local-dir /datasets/hf/MLLMU-Bench
    .venv/bin/python scripts/export_mllmu.py --repo /datasets/hf/MLLMU-Bench --out /datasets/MLLMU-Bench
    clear-sweep data stats /datasets/MLLMU-Bench

Needs `pyarrow` (`REFERENCE=1 scripts/setup.sh` puts it in .venv). The conversion
(`convert`) takes plain row dicts, as pyarrow's `to_pylist()` gives them, so
tests/data/test_export_mllmu.py checks it on MLLMU-shaped parquet written at test time.

What the repository holds and where it goes:
  ft_Data/          one row per profile: `image` ({bytes, path}), `ID`, and `metadata`, a
                    JSON string of [{"Question", "Answer"}]: the finetuning pairs, asked
                    with the image. -> mllmu.jsonl, role "train", task "generation".
  forget_5/10/15, retain_95/90/85/
                    one row per profile: `image`, `ID`, `Classification_Task`
                    ({Image_Textual_Questions, Pure_Text_Questions}: Question, Options
                    {A..D}, Correct_Answer), `Generation_Task` and `Mask_Task` ([{Question,
                    Ground_Truth, Type}]). -> role "eval" (each profile once), and the splits.
  Test_Set/         the forget profiles again with `images`, transformed images, and
                    questions of their own. -> role "test", with the first image.
  Retain_Set/       the celebrity set, rows as the splits'. -> persons in splits.celebrity.
Persons are numbered by ID in sorted order; a profile's name is its `name` field where the
row has one, else its ID. Images are written as stored (PNG or JPEG).
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_clear import (image_bytes, image_extension, nested_splits, write_jsonl,  # noqa: E402
                          write_manifest)

SCHEMA_VERSION = 1
FORGET = (5, 10, 15)


def as_json(value):
    """Nested columns arrive as dicts and lists; some copies store them as JSON strings."""
    return json.loads(value) if isinstance(value, str) else value


def profile_name(row):
    for key in ("name", "Name"):
        if row.get(key):
            return str(row[key])
    return str(row["ID"])


def eval_items(row, image_rel, role):
    """The choice, cloze and generation questions of one split or Test_Set row."""
    items = []
    classification = as_json(row.get("Classification_Task")) or {}
    for key, with_image in (("Image_Textual_Questions", True), ("Pure_Text_Questions", False)):
        for q in as_json(classification.get(key)) or []:
            options = as_json(q["Options"])
            letters = sorted(options)
            items.append({"task": "choice", "type": "Image_Textual" if with_image else "Pure_Text",
                          "question": q["Question"], "options": [str(options[k]) for k in letters],
                          "answer": str(q["Correct_Answer"]).strip()})
    for column, task in (("Mask_Task", "cloze"), ("Generation_Task", "generation")):
        for q in as_json(row.get(column)) or []:
            items.append({"task": task, "type": q["Type"], "question": q["Question"],
                          "answer": str(q["Ground_Truth"])})
    for item in items:
        item["role"] = role
        if item["type"] == "Image_Textual":
            item["image"] = image_rel
    return items


def convert(out, ft_rows, split_rows, test_rows, celebrity_rows, provenance):
    """Writes the dataset folder `out` (must not exist or be empty).

    ft_rows:        ft_Data rows (image, ID, metadata).
    split_rows:     {"forget_5": rows, ..., "retain_95": rows, ...} (image, ID, the three tasks).
    test_rows:      Test_Set rows (images or image, ID, the three tasks).
    celebrity_rows: Retain_Set rows (image, ID, the three tasks).
    """
    if os.path.exists(out) and os.listdir(out):
        raise SystemExit(f"{out}: already exists and is not empty (a dataset is never overwritten)")
    os.makedirs(out, exist_ok=True)

    names = {}
    for rows in [ft_rows, celebrity_rows, *split_rows.values()]:
        for row in rows:
            names.setdefault(str(row["ID"]), profile_name(row))
    celebrity_ids = {str(r["ID"]) for r in celebrity_rows}
    id_of = {key: i for i, key in enumerate(sorted(names, key=lambda k: (k in celebrity_ids, k)))}
    images = {}  # (ID, kind) -> relative path

    def save_image(key, kind, cell):
        if (key, kind) in images:
            return images[(key, kind)]
        data = image_bytes(cell)
        rel = f"images/profile_{id_of[key]:04d}/{kind}{image_extension(data)}"
        os.makedirs(os.path.dirname(os.path.join(out, rel)), exist_ok=True)
        with open(os.path.join(out, rel), "wb") as f:
            f.write(data)
        images[(key, kind)] = rel
        return rel

    lines = []
    for row in ft_rows:
        key = str(row["ID"])
        rel = save_image(key, "profile", row["image"])
        for pair in as_json(row["metadata"]):
            if pair.get("Question") and pair.get("Answer"):
                lines.append({"person": id_of[key], "task": "generation", "type": "Image_Textual", "role": "train",
                              "image": rel, "question": pair["Question"], "answer": str(pair["Answer"])})
    asked = set()
    for rows in [*split_rows.values(), celebrity_rows]:
        for row in rows:
            key = str(row["ID"])
            if key in asked:
                continue
            asked.add(key)
            rel = save_image(key, "profile", row["image"])
            lines += [{"person": id_of[key], **item} for item in eval_items(row, rel, "eval")]
    for row in test_rows:
        key = str(row["ID"])
        if key not in id_of:
            raise SystemExit(f"Test_Set: profile {key} is in no split")
        cell = (row.get("images") or [None])[0] if row.get("images") is not None else row.get("image")
        rel = save_image(key, "test", cell)
        lines += [{"person": id_of[key], **item} for item in eval_items(row, rel, "test")]

    # Splits: the forget sets nest (5 within 10 within 15), so the forget order lists
    # forget_5 first; every other trained profile follows.
    trained = sorted(id_of[k] for k in names if k not in celebrity_ids)
    forget_ids = [(pct, sorted(id_of[str(r["ID"])] for r in split_rows.get(f"forget_{pct}") or [])) for pct in FORGET]
    splits, order = nested_splits(forget_ids, trained)
    splits["celebrity"] = sorted(id_of[k] for k in celebrity_ids)

    persons = sorted(id_of.items(), key=lambda kv: kv[1])
    write_jsonl(out, "persons.jsonl", [{"person": pid, "name": names[key], "facts": {}} for key, pid in persons])
    for empty in ("text_qa.jsonl", "images.jsonl", "real_faces.jsonl", "real_world.jsonl"):
        write_jsonl(out, empty, [])
    write_jsonl(out, "mllmu.jsonl", lines)
    manifest = {"format": "clear-sweep-dataset", "schema_version": SCHEMA_VERSION, "source": "mllmu",
                "benchmark": "mllmu", "provenance": provenance,
                "counts": {"persons": len(persons), "text_qa": 0, "images": 0, "real_faces": 0, "real_world": 0,
                           "mllmu": len(lines)},
                "splits": splits, "forget_order": order}
    write_manifest(out, manifest)
    return manifest


def read_folder(repo, folder):
    """Every row of the parquet files under repo/folder (pyarrow, no network)."""
    import pyarrow.parquet as pq
    files = sorted(glob.glob(os.path.join(repo, folder, "*.parquet")))
    rows = []
    for path in files:
        rows += pq.read_table(path).to_pylist()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True, help="a downloaded copy of MLLMMU/MLLMU-Bench")
    parser.add_argument("--out", required=True, help="new dataset folder")
    args = parser.parse_args()
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        sys.exit("export_mllmu.py needs Python's `pyarrow` (REFERENCE=1 scripts/setup.sh installs it in .venv)")
    ft = read_folder(args.repo, "ft_Data")
    if not ft:
        sys.exit(f"{args.repo}/ft_Data: no parquet files (is this a copy of MLLMMU/MLLMU-Bench?)")
    splits = {}
    for pct in FORGET:
        splits[f"forget_{pct}"] = read_folder(args.repo, f"forget_{pct}")
        splits[f"retain_{100 - pct}"] = read_folder(args.repo, f"retain_{100 - pct}")
    convert(args.out, ft, splits, read_folder(args.repo, "Test_Set"), read_folder(args.repo, "Retain_Set"),
            {"exported_from": os.path.abspath(args.repo), "exporter": "scripts/export_mllmu.py"})
    print(f"wrote {args.out}; check it with: clear-sweep data stats {args.out}")


if __name__ == "__main__":
    main()
