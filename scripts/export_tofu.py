#!/usr/bin/python3
"""Export TOFU (Hugging Face `locuslab/TOFU`, arXiv 2401.06121) into clear-sweep's dataset
format (docs/dataset-format.md) as benchmark "tofu", offline, from a downloaded copy:

    huggingface-cli download locuslab/TOFU --repo-type dataset --local-dir /datasets/hf/TOFU
    /usr/bin/python3 scripts/export_tofu.py --repo /datasets/hf/TOFU --out /datasets/TOFU
    clear-sweep data stats /datasets/TOFU

A config is read from `<config>.json` (JSON lines, the hub's own files) or, where a copy
has none, from the parquet files under `<config>/` (the hub's parquet conversion; needs
`pyarrow`, which `REFERENCE=1 scripts/setup.sh` puts in .venv). The conversion
(`convert`) takes plain row dicts, so tests/data/test_export_tofu.py checks it on
TOFU-shaped copies written at test time.

What goes where (TOFU's column names are kept):
  persons.jsonl       one person per TOFU author: `full` holds 20 questions per author in
                      order, so author k is rows 20k..20k+19 (id k, named "TOFU author k":
                      TOFU has no name column). Authors of the holdout configs
                      (holdout01/05/10, open-unlearning's membership sets) follow as
                      persons never trained on.
  text_qa.jsonl       every `full` row; `paraphrased_answer` and `perturbed_answer` from
                      the *_perturbed configs (forget01/05/10_perturbed and
                      retain_perturbed), matched by question and answer; other rows
                      keep them empty.
  real_authors.jsonl  real_authors_perturbed (question, answer, its 3 perturbed answers
                      as the wrong options), else real_authors' option1..option4.
  real_world.jsonl    world_facts_perturbed, else world_facts, the same way.
  manifest.json       forget01/05/10 and retain99/95/90 by the authors their rows belong
                      to (TOFU's forget sets are its last 2, 10 and 20 authors, and nest);
                      the forget order lists the smaller sets first; holdout: the largest
                      holdout config's authors; retain_scored: retain_perturbed's
                      authors, those retention is scored on (whatever a split forgets).
Every row is checked before anything is written (a row not in `full`, a forget and retain
pair that does not split the authors, a perturbed row matching no question: refused naming
the config and row); the folder is written beside and renamed into place.
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_clear import nested_splits, publish_folder, write_jsonl, write_manifest  # noqa: E402

SCHEMA_VERSION = 1
PER_AUTHOR = 20  # TOFU: 20 questions per author, in order
FORGET = {1: "retain99", 5: "retain95", 10: "retain90"}
PERTURBED = ("forget01_perturbed", "forget05_perturbed", "forget10_perturbed", "retain_perturbed")
HOLDOUT = ("holdout01", "holdout05", "holdout10")
OPTION_SETS = (("real_authors", "real_authors.jsonl"), ("world_facts", "real_world.jsonl"))


class ExportError(Exception):
    """A row the loader would refuse, or a split that does not fit `full`."""


def qa_key(row):
    return (str(row.get("question", "")).strip(), str(row.get("answer", "")).strip())


def authors_of(rows, config, author_of):
    """The authors a config's rows belong to, each whole (all of its 20 questions)."""
    count = {}
    for index, row in enumerate(rows):
        author = author_of.get(qa_key(row))
        if author is None:
            raise ExportError(f"{config} row {index}: question {row.get('question')!r} is not in full")
        count[author] = count.get(author, 0) + 1
    partial = sorted(a for a, n in count.items() if n != PER_AUTHOR)
    if partial:
        raise ExportError(f"{config}: authors {partial} have {[count[a] for a in partial]} of their "
                          f"{PER_AUTHOR} questions (a split holds whole authors)")
    return sorted(count)


def option_rows(config, rows):
    """A real-knowledge config as option QA: its perturbed answers (or option1..4) as the
    wrong options."""
    lines = []
    for index, row in enumerate(rows):
        question, answer = str(row.get("question") or ""), str(row.get("answer") or "")
        if not question.strip() or not answer.strip():
            raise ExportError(f"{config} row {index}: an empty question or answer")
        if row.get("perturbed_answer") is not None:
            wrong = [str(w) for w in row["perturbed_answer"]]
        else:
            wrong = [str(row[k]) for k in sorted(row) if k.startswith("option") and row[k] is not None]
        wrong = [w for w in wrong if w.strip() and w.strip() != answer.strip()]
        if not wrong:
            raise ExportError(f"{config} row {index}: no wrong option besides the answer")
        lines.append({"question": question, "answer": answer, "options": wrong})
    return lines


def convert(out, configs, provenance):
    """Writes the dataset folder `out` (must not exist or be empty), whole or not at all.

    configs: {config name: list of row dicts}, as many of TOFU's configs as the copy has;
    `full` is required. Raises ExportError naming the config and row of anything wrong.
    """
    if os.path.exists(out) and os.listdir(out):
        raise ExportError(f"{out}: already exists and is not empty (a dataset is never overwritten)")
    full = configs.get("full")
    if not full:
        raise ExportError("no `full` config: TOFU's 4000 question-answer pairs are the dataset")
    if len(full) % PER_AUTHOR:
        raise ExportError(f"full: {len(full)} rows, not {PER_AUTHOR} per author")
    authors = len(full) // PER_AUTHOR
    author_of = {}
    for index, row in enumerate(full):
        if not str(row.get("question") or "").strip() or not str(row.get("answer") or "").strip():
            raise ExportError(f"full row {index}: an empty question or answer")
        author_of.setdefault(qa_key(row), index // PER_AUTHOR)

    perturbed = {}
    for config in PERTURBED:
        for index, row in enumerate(configs.get(config) or []):
            key = qa_key(row)
            if key not in author_of:
                raise ExportError(f"{config} row {index}: question {row.get('question')!r} is not in full")
            wrong = [str(w) for w in (row.get("perturbed_answer") or [])]
            if not str(row.get("paraphrased_answer") or "").strip() or not wrong:
                raise ExportError(f"{config} row {index}: no paraphrased_answer or perturbed_answer")
            perturbed[key] = (str(row["paraphrased_answer"]), wrong)
    qa_lines = []
    for index, row in enumerate(full):
        paraphrase, wrong = perturbed.get(qa_key(row), ("", []))
        qa_lines.append({"person": index // PER_AUTHOR, "question": str(row["question"]),
                         "answer": str(row["answer"]), "paraphrased_answer": paraphrase,
                         "perturbed_answer": wrong})

    # Splits by whole authors: each forget set and its retain partner split them all.
    trained = list(range(authors))
    forget_ids = []
    for pct, retain_name in FORGET.items():
        forget_name = "forget%02d" % pct
        if forget_name not in configs:
            continue
        forget = authors_of(configs[forget_name], forget_name, author_of)
        if retain_name in configs:
            retain = authors_of(configs[retain_name], retain_name, author_of)
            if set(forget) & set(retain) or sorted(set(forget) | set(retain)) != trained:
                raise ExportError(f"{forget_name} and {retain_name} do not split the {authors} authors "
                                  f"({len(set(forget) & set(retain))} in both, "
                                  f"{len(set(trained) - set(forget) - set(retain))} in neither)")
        forget_ids.append((pct, forget))
    for (small_pct, small), (pct, big) in zip(forget_ids, forget_ids[1:]):
        if not set(small) <= set(big):
            raise ExportError(f"forget{small_pct:02d} is not inside forget{pct:02d}: clear-sweep's forget sets "
                              "nest (a smaller fraction forgets a part of a larger one)")
    splits, order = nested_splits(forget_ids, trained)
    # Retention is scored on retain_perturbed's authors (TOFU's first 20), whatever the
    # split forgets; other rows may have alternatives too (the forget sets' own).
    if configs.get("retain_perturbed"):
        splits["retain_scored"] = authors_of(configs["retain_perturbed"], "retain_perturbed", author_of)

    # Holdout authors: never trained on, numbered after full's.
    holdout_rows = next((configs[c] for c in reversed(HOLDOUT) if configs.get(c)), [])
    if len(holdout_rows) % PER_AUTHOR:
        raise ExportError(f"holdout: {len(holdout_rows)} rows, not {PER_AUTHOR} per author")
    for index, row in enumerate(holdout_rows):
        if qa_key(row) in author_of:
            raise ExportError(f"holdout row {index}: question {row.get('question')!r} is in full (a holdout "
                              "author is never trained on)")
        qa_lines.append({"person": authors + index // PER_AUTHOR, "question": str(row["question"]),
                         "answer": str(row["answer"]), "paraphrased_answer": "", "perturbed_answer": []})
    splits["holdout"] = list(range(authors, authors + len(holdout_rows) // PER_AUTHOR))
    persons = [{"person": p, "name": f"TOFU author {p}", "facts": {}}
               for p in range(authors + len(splits["holdout"]))]

    options = {}
    for name, file in OPTION_SETS:
        config = name + "_perturbed" if configs.get(name + "_perturbed") else name
        options[file] = option_rows(config, configs.get(config) or [])

    manifest = {"format": "clear-sweep-dataset", "schema_version": SCHEMA_VERSION, "source": "tofu",
                "benchmark": "tofu", "provenance": provenance,
                "counts": {"persons": len(persons), "text_qa": len(qa_lines), "images": 0, "real_faces": 0,
                           "real_world": len(options["real_world.jsonl"]),
                           "real_authors": len(options["real_authors.jsonl"])},
                "splits": splits, "forget_order": order}

    def fill(partial):
        write_jsonl(partial, "persons.jsonl", persons)
        write_jsonl(partial, "text_qa.jsonl", qa_lines)
        write_jsonl(partial, "images.jsonl", [])
        write_jsonl(partial, "real_faces.jsonl", [])
        for file, lines in options.items():
            write_jsonl(partial, file, lines)
        write_manifest(partial, manifest)

    publish_folder(out, fill)
    return manifest


def read_config(repo, config):
    """A config's rows: <config>.json (JSON lines), else <config>/*.parquet; None if absent."""
    path = os.path.join(repo, config + ".json")
    if os.path.isfile(path):
        rows = []
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as e:
                        raise ExportError(f"{path}:{number}: not JSON ({e.msg})") from None
        return rows
    files = sorted(glob.glob(os.path.join(repo, config, "*.parquet")))
    if not files:
        return None
    try:
        import pyarrow.parquet as pq
    except ImportError:
        sys.exit(f"{os.path.join(repo, config)}: parquet files need Python's `pyarrow` "
                 "(REFERENCE=1 scripts/setup.sh installs it in .venv)")
    return [row for path in files for row in pq.read_table(path).to_pylist()]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True, help="a downloaded copy of locuslab/TOFU")
    parser.add_argument("--out", required=True, help="new dataset folder")
    args = parser.parse_args()
    names = ["full"] + ["forget%02d" % p for p in FORGET] + list(FORGET.values()) + list(PERTURBED) + list(HOLDOUT)
    for name, _ in OPTION_SETS:
        names += [name, name + "_perturbed"]
    try:
        configs = {name: rows for name in names if (rows := read_config(args.repo, name)) is not None}
        if "full" not in configs:
            raise ExportError(f"{args.repo}: no full.json or full/*.parquet (is this a copy of locuslab/TOFU?)")
        manifest = convert(args.out, configs, {"exported_from": os.path.abspath(args.repo),
                                                "exporter": "scripts/export_tofu.py",
                                                "configs": ",".join(sorted(configs))})
    except ExportError as e:
        sys.exit(f"export_tofu.py: {e}")
    counts = manifest["counts"]
    print(f"wrote {args.out}: {counts['persons']} authors, {counts['text_qa']} questions, "
          f"{counts['real_authors']} real_authors, {counts['real_world']} world_facts; "
          f"check it with: clear-sweep data stats {args.out}")


if __name__ == "__main__":
    main()
