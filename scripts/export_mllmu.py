#!/usr/bin/python3
"""Export MLLMU-Bench (Hugging Face `MLLMMU/MLLMU-Bench`, arXiv 2410.22108) into
clear-sweep's dataset format (docs/dataset-format.md), offline, from a downloaded copy of
the dataset repository:

    huggingface-cli download MLLMMU/MLLMU-Bench --repo-type dataset --local-dir /datasets/hf/MLLMU-Bench
    .venv/bin/python scripts/export_mllmu.py --repo /datasets/hf/MLLMU-Bench --out /datasets/MLLMU-Bench
    clear-sweep data stats /datasets/MLLMU-Bench

Needs `pyarrow` (`REFERENCE=1 scripts/setup.sh` puts it in .venv). The conversion
(`convert`) takes plain row dicts, as pyarrow's `to_pylist()` gives them, so
tests/data/test_export_mllmu.py checks it on repositories written at test time in the
real layout.

The repository, as the hub's copy and the authors' code (eval.py, data_preprocess.py,
Data_split/) have it (docs/dataset-format.md says where each field comes from):
  ft_Data/          500 rows, one per fictitious profile: `image` ({bytes, path}), `ID`
                    ("001".."500"; where a copy lacks the column, the `ID` of its
                    metadata pairs), and `metadata`, a JSON string of [{"Question",
                    "Answer", "ID"}]: the finetuning pairs, asked with the image.
                    -> role "train", task "generation".
  forget_5/10/15, retain_95/90/85/
                    one row per profile: `image`, `ID`, `biography` (a JSON string whose
                    `Name` is the profile's name), `Classification_Task`
                    ({Image_Textual_Questions, Pure_Text_Questions}: Question, Options
                    {A..D}, Correct_Answer, a letter), `Generation_Task` and `Mask_Task`
                    ([{Question, Ground_Truth, Type}]). -> role "eval" (each profile
                    once), and the named splits, exactly as published: the three forget
                    sets are independent draws and do not nest (the manifest says
                    "splits_nest": false, and a sweep may use only 5, 10 and 15 %).
  Test_Set/         one row per profile (two parquet files): `ID`, `images` (the profile's
                    transformed images) and the three tasks. -> role "test", every image
                    kept; the evaluation asks each profile's questions with one of them,
                    drawn per profile with a fixed seed (eval.py draws one at random).
  Retain_Set/       the celebrity set, rows as the splits'. Its IDs are its own: a
                    celebrity is keyed apart from the fictitious profile of the same ID.
                    -> persons in splits.celebrity.
Persons are numbered fictitious profiles first (by ID), then celebrities; each keeps its
biography's fields as facts. Every question is checked as the loader checks it before
anything is written (a bad row is refused, naming config, ID and question), and the
folder is written beside and renamed into place. Images are written as stored.
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_clear import image_bytes, image_extension, publish_folder, write_jsonl, write_manifest  # noqa: E402

SCHEMA_VERSION = 1
FORGET = (5, 10, 15)


def as_json(value):
    """Nested columns arrive as dicts and lists; some copies store them as JSON strings."""
    return json.loads(value) if isinstance(value, str) else value


class ExportError(Exception):
    """A row the loader would refuse, or a mix-up that cannot be resolved."""


def text(value):
    """A cell as text; a missing value (None) is empty, never "None"."""
    return "" if value is None else str(value)


def clean_key(key):
    """Biography keys appear as "Name", "Name:" or " Name "."""
    return str(key).strip().rstrip(":").strip()


def biography(row):
    """The profile's biography fields ({} where the row has none)."""
    value = row.get("biography")
    if value in (None, ""):
        return {}
    try:
        parsed = as_json(value)
    except json.JSONDecodeError:
        return {"Biography": str(value)}
    if not isinstance(parsed, dict):
        return {"Biography": str(value)}
    return {clean_key(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in parsed.items() if v is not None}


def row_id(row, config, index):
    """The profile ID of a row: its `ID` column, else the `ID` its metadata pairs carry."""
    value = row.get("ID")
    if value not in (None, ""):
        return str(value).strip()
    ids = {str(pair["ID"]).strip() for pair in as_json(row.get("metadata") or "[]") or []
           if isinstance(pair, dict) and pair.get("ID") not in (None, "")}
    if len(ids) == 1:
        return ids.pop()
    raise ExportError(f"{config} row {index}: " + ("its metadata pairs name several IDs " + str(sorted(ids)) if ids
                                                  else "no ID column and no ID in its metadata"))


def check_item(item, where):
    """What the loader checks of an mllmu.jsonl row, refused here naming the row."""
    if not item["question"].strip():
        raise ExportError(f"{where}: an empty question")
    if item["type"] not in ("Image_Textual", "Pure_Text"):
        raise ExportError(f"{where}: Type is {item['type']!r} (Image_Textual or Pure_Text)")
    if not item["answer"].strip():
        raise ExportError(f"{where}: an empty answer")
    if item["task"] == "choice":
        letters = item.pop("letters")
        if not 2 <= len(letters) <= 26 or letters != [chr(ord("A") + k) for k in range(len(letters))]:
            raise ExportError(f"{where}: options {letters} are not A, B, C, ... in order")
        if item["answer"] not in letters:
            raise ExportError(f"{where}: Correct_Answer {item['answer']!r} is not the letter of an option {letters}")


def eval_items(row, where):
    """The choice, cloze and generation questions of one split or Test_Set row."""
    items = []
    classification = as_json(row.get("Classification_Task")) or {}
    for key, with_image in (("Image_Textual_Questions", True), ("Pure_Text_Questions", False)):
        for n, q in enumerate(as_json(classification.get(key)) or []):
            options = as_json(q.get("Options")) or {}
            if not isinstance(options, dict):
                raise ExportError(f"{where}, Classification_Task.{key}[{n}]: Options is not {{A: ..., B: ...}}")
            letters = sorted(k for k in options if options[k] is not None)
            items.append({"task": "choice", "type": "Image_Textual" if with_image else "Pure_Text",
                          "question": text(q.get("Question")), "options": [str(options[k]) for k in letters],
                          "answer": text(q.get("Correct_Answer")).strip(), "letters": letters,
                          "where": f"{where}, Classification_Task.{key}[{n}]"})
    for column, task in (("Mask_Task", "cloze"), ("Generation_Task", "generation")):
        for n, q in enumerate(as_json(row.get(column)) or []):
            items.append({"task": task, "type": text(q.get("Type")), "question": text(q.get("Question")),
                          "answer": text(q.get("Ground_Truth")), "where": f"{where}, {column}[{n}]"})
    for item in items:
        check_item(item, item.pop("where"))
    return items


def convert(out, ft_rows, split_rows, test_rows, celebrity_rows, provenance):
    """Writes the dataset folder `out` (must not exist or be empty), whole or not at all.

    ft_rows:        ft_Data rows (image, ID or metadata pairs with ID, metadata).
    split_rows:     {"forget_5": rows, ..., "retain_95": rows, ...} (image, ID, biography, the three tasks).
    test_rows:      Test_Set rows (images, ID, the three tasks).
    celebrity_rows: Retain_Set rows (image, ID, biography, the three tasks).
    Raises ExportError naming the config, row and question of anything the loader would
    refuse, or of a mix-up (an ID in no config that trains it) that cannot be resolved.
    """
    if os.path.exists(out) and os.listdir(out):
        raise ExportError(f"{out}: already exists and is not empty (a dataset is never overwritten)")

    # Persons: fictitious profiles ("profile", ID), celebrities ("celebrity", ID) apart.
    profiles = {}  # ID -> ft_Data row
    for index, row in enumerate(ft_rows):
        key = row_id(row, "ft_Data", index)
        if key in profiles:
            raise ExportError(f"ft_Data row {index}: profile {key} appears twice")
        profiles[key] = row
    facts = {("profile", k): {} for k in profiles}
    splits_of = {}
    for config, rows in split_rows.items():
        ids = []
        for index, row in enumerate(rows):
            key = row_id(row, config, index)
            if key not in profiles:
                raise ExportError(f"{config} row {index}: profile {key} is not in ft_Data (never trained on; "
                                  f"IDs compare as text, and ft_Data's are e.g. {next(iter(profiles), '?')!r})")
            ids.append(key)
            facts[("profile", key)] = facts[("profile", key)] or biography(row)
        splits_of[config] = ids
    celebrities = []
    for index, row in enumerate(celebrity_rows):
        key = row_id(row, "Retain_Set", index)
        if ("celebrity", key) in facts:
            raise ExportError(f"Retain_Set row {index}: celebrity {key} appears twice")
        celebrities.append(key)
        facts[("celebrity", key)] = biography(row)
    order = [("profile", k) for k in sorted(profiles)] + [("celebrity", k) for k in sorted(celebrities)]
    id_of = {person: n for n, person in enumerate(order)}

    # Names, unique as the loader requires: the biography's, else "profile 001" or
    # "celebrity 001"; two persons of one name are a mix-up the export cannot resolve.
    names = {p: facts[p].get("Name") or f"{p[0]} {p[1]}" for p in order}
    holders = {}
    for person in order:
        other = holders.setdefault(names[person], person)
        if other != person:
            raise ExportError(f"{other[0]} {other[1]} and {person[0]} {person[1]} are both named {names[person]!r}")

    # Items and the images they need, all checked before anything is written.
    images = {}  # relative path -> bytes
    path_of = {}  # (person, bytes) -> relative path: one file for one picture of a person

    def image_path(person, kind, cell, where):
        try:
            data = image_bytes(cell)
            extension = image_extension(data)
        except (ValueError, TypeError) as e:
            raise ExportError(f"{where}: {e}") from None
        if (person, data) in path_of:
            return path_of[(person, data)]
        rel = f"images/profile_{id_of[person]:04d}/{kind}{extension}"
        if rel in images:
            raise ExportError(f"{where}: a second {kind} image for {person[0]} {person[1]}")
        images[rel] = data
        path_of[(person, data)] = rel
        return rel

    lines = []
    for key, row in profiles.items():
        person = ("profile", key)
        rel = image_path(person, "profile", row.get("image"), f"ft_Data (ID {key})")
        # As the authors' data_preprocess.py: only the pairs with a question and an answer.
        for pair in as_json(row["metadata"]) or []:
            if pair.get("Question") and pair.get("Answer"):
                lines.append({"person": id_of[person], "task": "generation", "type": "Image_Textual",
                              "role": "train", "image": rel, "question": str(pair["Question"]),
                              "answer": str(pair["Answer"])})
    asked = set()
    sources = [(config, rows, "profile") for config, rows in split_rows.items()] + \
              [("Retain_Set", celebrity_rows, "celebrity")]
    for config, rows, kind in sources:
        for index, row in enumerate(rows):
            person = (kind, row_id(row, config, index))
            # Every copy of a profile's questions is checked; the first is kept (the
            # splits repeat each profile's row).
            items = eval_items(row, f"{config} row {index} (ID {person[1]})")
            if person in asked:
                continue
            asked.add(person)
            rel = image_path(person, "eval", row.get("image"), f"{config} row {index} (ID {person[1]})")
            for item in items:
                if item["type"] == "Image_Textual":
                    item["image"] = rel
                lines.append({"person": id_of[person], "role": "eval", **item})
    tested = set()
    for index, row in enumerate(test_rows):
        key = row_id(row, "Test_Set", index)
        if key not in profiles:
            raise ExportError(f"Test_Set row {index}: profile {key} is not in ft_Data")
        if key in tested:
            raise ExportError(f"Test_Set row {index}: profile {key} has a second row (one row a profile)")
        tested.add(key)
        person = ("profile", key)
        cells = row.get("images") if row.get("images") is not None else [row.get("image")]
        rels = [image_path(person, f"test_{n}", cell, f"Test_Set row {index} (ID {key}), image {n}")
                for n, cell in enumerate(c for c in cells if c is not None)]
        for item in eval_items(row, f"Test_Set row {index} (ID {key})"):
            if item["type"] == "Image_Textual":
                if not rels:
                    raise ExportError(f"Test_Set row {index} (ID {key}): an Image_Textual question and no image")
                item["images"] = rels
            lines.append({"person": id_of[person], "role": "test", **item})

    # Splits, exactly as published: forget_N and retain_(100 - N) cover the profiles.
    trained = sorted(id_of[("profile", k)] for k in profiles)
    splits = {"holdout": [], "celebrity": sorted(id_of[("celebrity", k)] for k in celebrities)}
    for pct in FORGET:
        forget, retain = splits_of.get(f"forget_{pct}") or [], splits_of.get(f"retain_{100 - pct}") or []
        if not forget and not retain:
            continue
        f_ids, r_ids = {id_of[("profile", k)] for k in forget}, {id_of[("profile", k)] for k in retain}
        if f_ids & r_ids or sorted(f_ids | r_ids) != trained:
            raise ExportError(f"forget_{pct} and retain_{100 - pct} do not split the {len(trained)} profiles "
                              f"({len(f_ids & r_ids)} in both, {len(set(trained) - f_ids - r_ids)} in neither)")
        splits["forget%02d" % pct] = sorted(f_ids)
        splits["retain%02d" % (100 - pct)] = sorted(r_ids)

    persons = [{"person": id_of[p], "name": names[p], "facts": facts[p]} for p in order]
    manifest = {"format": "clear-sweep-dataset", "schema_version": SCHEMA_VERSION, "source": "mllmu",
                "benchmark": "mllmu", "provenance": provenance,
                "counts": {"persons": len(persons), "text_qa": 0, "images": 0, "real_faces": 0, "real_world": 0,
                           "mllmu": len(lines)},
                "splits": splits, "forget_order": trained, "splits_nest": False}

    # Written beside, renamed into place: a folder with a manifest is a whole dataset.
    def fill(partial):
        for rel, data in images.items():
            os.makedirs(os.path.dirname(os.path.join(partial, rel)), exist_ok=True)
            with open(os.path.join(partial, rel), "wb") as f:
                f.write(data)
        write_jsonl(partial, "persons.jsonl", persons)
        for empty in ("text_qa.jsonl", "images.jsonl", "real_faces.jsonl", "real_world.jsonl"):
            write_jsonl(partial, empty, [])
        write_jsonl(partial, "mllmu.jsonl", lines)
        write_manifest(partial, manifest)

    publish_folder(out, fill)
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
    try:
        convert(args.out, ft, splits, read_folder(args.repo, "Test_Set"), read_folder(args.repo, "Retain_Set"),
                {"exported_from": os.path.abspath(args.repo), "exporter": "scripts/export_mllmu.py"})
    except ExportError as e:
        sys.exit(f"export_mllmu.py: {e}; nothing was written")
    except (KeyError, TypeError, ValueError) as e:  # json.JSONDecodeError is a ValueError
        sys.exit(f"export_mllmu.py: a cell of {args.repo} is not as MLLMU-Bench has it "
                 f"({type(e).__name__}: {e}); nothing was written")
    print(f"wrote {args.out}; check it with: clear-sweep data stats {args.out}")


if __name__ == "__main__":
    main()
