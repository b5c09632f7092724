#!/usr/bin/python3
"""Export the real CLEAR benchmark (Hugging Face `therem/CLEAR`) and TOFU's text QA
(`locuslab/TOFU`) into clear-sweep's dataset format (docs/dataset-format.md).

    /usr/bin/python3 scripts/export_clear.py --out data/clear
    clear-sweep data stats data/clear

Needs Python's `datasets` (`REFERENCE=1 scripts/setup.sh` puts it in .venv). Compute
nodes reach no hub: download both repositories once where there is network, then export
from the copies anywhere (tests/data/test_export_clear_offline.py does this with the hub
switched off):

    huggingface-cli download therem/CLEAR --repo-type dataset --local-dir /datasets/hf/CLEAR
    huggingface-cli download locuslab/TOFU --repo-type dataset --local-dir /datasets/hf/TOFU
    HF_HUB_OFFLINE=1 .venv/bin/python scripts/export_clear.py --clear /datasets/hf/CLEAR \
        --tofu /datasets/hf/TOFU --out /datasets/CLEAR

The conversion itself (`convert`) takes plain row dicts, so it is also tested without
`datasets` (tests/data/test_export_clear.py).

What goes where:
  persons.jsonl   one person per TOFU author (200; id = TOFU's author index), named by the
                  CLEAR name that the author's QA mention; CLEAR names no author mentions
                  become extra persons with images only.
  text_qa.jsonl   TOFU's 20 QA per author. `paraphrased_answer` and `perturbed_answer`
                  exist only in TOFU's *_perturbed configs; elsewhere they stay empty and
                  evaluation skips the truth ratio for those items.
  images.jsonl    CLEAR's image rows (`full`), with `paraphrased_caption`,
                  `perturbed_captions` and `perturbed_names` from the *_perturbed configs.
  real_faces.jsonl, real_world.jsonl   CLEAR's configs of those names.
  manifest.json   splits forget01/05/10 and retain99/95/90 by the names in CLEAR's
                  forget configs; no holdout persons (CLEAR's VLM benchmark has none).
                  With --visual-holdout, the 20 persons CLEAR's visual benchmark never
                  trains on (its cv/prepare_vtofu_dataset.py's holdout_10) are the
                  holdout, and the trained splits leave them out: the dataset for
                  sweeps/clear-visual.toml (U-MIA and U-LIRA need them).
CLEAR's and TOFU's field names are kept.
"""
import argparse
import collections
import json
import os
import shutil
import sys

SCHEMA_VERSION = 1
FORGET_SPLITS = {"forget01": 1, "forget05": 5, "forget10": 10}
# The persons CLEAR's visual benchmark keeps out of training (holdout_10 in its
# cv/prepare_vtofu_dataset.py): the mirror of forget10 in U-MIA and U-LIRA.
VISUAL_HOLDOUT = ("Marit Hagen", "Simon Makoni", "Sanna Kaarina Laaksonen", "Valentin Fischer", "Philippe Dauphinee",
                  "Raoul Huysmans", "Xiang Li", "Adrianus Suharto", "Jaime Vasquez", "Luis Marcelo Garcia",
                  "Rhoda Mbalazi", "Omowunmi Adebayo", "Rory Greenfield", "Jambo Mpendulo", "Nadia Nowak",
                  "Guillermo Navarro Munoz", "Zeynab Nazirova", "Youssef Al-Zahran", "Adetoun Davis",
                  "Alex Melbourne")


def image_bytes(value):
    """The encoded bytes of a Hugging Face Image cell ({"bytes": ..., "path": ...})."""
    if isinstance(value, dict) and value.get("bytes"):
        return value["bytes"]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise ValueError("image cell without bytes: load with Image(decode=False)")


def image_extension(data):
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return ".png"
    if data[:2] == b"\xff\xd8":
        return ".jpg"
    raise ValueError("image is neither PNG nor JPEG")


def author_names(tofu_rows, clear_names, per_author=20):
    """TOFU rows come 20 per author in order; an author is the CLEAR name its QA mention most."""
    names = {}
    for start in range(0, len(tofu_rows), per_author):
        text = " ".join(r["question"] + " " + r["answer"] for r in tofu_rows[start:start + per_author])
        counts = {n: text.count(n) for n in clear_names}
        best = max(sorted(counts), key=lambda n: counts[n]) if counts else None
        names[start // per_author] = best if best and counts[best] > 0 else None
    return names


def nested_splits(forget_ids, trained):
    """Named splits and the forget order from [(percent, forget ids)], smallest first.

    Each forget split gets its retain partner (every other trained id). The forget order
    lists the smaller splits' ids first, so that every fraction is a prefix that nests
    with the named ones, then every other trained id; no holdout."""
    order, seen, splits = [], set(), {}
    for pct, ids in forget_ids:
        if not ids:
            continue
        splits["forget%02d" % pct] = ids
        splits["retain%02d" % (100 - pct)] = [p for p in trained if p not in set(ids)]
        for pid in ids:
            if pid not in seen:
                seen.add(pid)
                order.append(pid)
    order += [p for p in trained if p not in seen]
    splits["holdout"] = []
    return splits, order


def write_jsonl(out, name, rows):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def publish_folder(out, fill):
    """Writes a dataset folder beside `out` by fill(partial) and renames it into place: a
    folder with a manifest is a whole dataset, and a failure leaves nothing behind. `out`
    must not exist or be an empty folder (checked by the caller)."""
    partial = os.path.join(os.path.dirname(os.path.abspath(out)), f".{os.path.basename(out)}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        os.makedirs(partial)
        fill(partial)
        if os.path.isdir(out):
            os.rmdir(out)  # the empty folder the caller checked
        os.rename(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def write_manifest(out, manifest):
    """Written last: a folder with a manifest is a whole dataset."""
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def convert(out, full_rows, perturbed_rows, forget_names, tofu_rows, tofu_perturbed, real_faces, real_world,
            provenance, holdout_names=()):
    """Writes the dataset folder `out` (must not exist).

    full_rows:      CLEAR `full` image rows (image, caption, name).
    perturbed_rows: CLEAR *_perturbed rows (image?, caption, name, paraphrased_caption,
                    perturbed_captions, perturbed_names), matched to full rows by (name, caption).
    forget_names:   {"forget01": set of names, ...}.
    tofu_rows:      TOFU `full` rows (question, answer), 20 per author in order.
    tofu_perturbed: TOFU *_perturbed rows (question, answer, paraphrased_answer,
                    perturbed_answer), matched by question.
    real_faces, real_world: rows (image, question, answer, options).
    """
    if os.path.exists(out) and os.listdir(out):
        raise SystemExit(f"{out}: already exists and is not empty (a dataset is never overwritten)")
    # Checked before anything is written.
    clear_names = sorted({r["name"] for r in full_rows})
    missing = sorted(n for n in holdout_names if n not in clear_names)
    if missing:
        raise SystemExit(f"export_clear.py: holdout persons not in CLEAR: {', '.join(missing)}")
    forgotten = {n for names in forget_names.values() for n in names} & set(holdout_names)
    if forgotten:
        raise SystemExit(f"export_clear.py: holdout persons in a forget split: {', '.join(sorted(forgotten))}")
    os.makedirs(os.path.join(out, "images"), exist_ok=True)

    by_author = author_names(tofu_rows, clear_names)
    persons = []  # (id, name)
    id_of = {}
    for author in sorted(by_author):
        name = by_author[author] or f"TOFU author {author}"
        if name in id_of:  # two authors matched one name: keep the second unnamed
            name = f"TOFU author {author}"
        id_of[name] = author
        persons.append((author, name))
    next_id = len(by_author)
    for name in clear_names:
        if name not in id_of:
            id_of[name] = next_id
            persons.append((next_id, name))
            next_id += 1

    perturbed_qa = {r["question"]: r for r in tofu_perturbed}
    qa_lines = []
    for i, row in enumerate(tofu_rows):
        p = perturbed_qa.get(row["question"], {})
        qa_lines.append({"person": i // 20,  # TOFU: 20 rows per author, in order
                         "question": row["question"], "answer": row["answer"],
                         "paraphrased_answer": p.get("paraphrased_answer", ""),
                         "perturbed_answer": list(p.get("perturbed_answer", []))})

    perturbed_images = {(r["name"], r["caption"]): r for r in perturbed_rows}
    image_lines = []
    per_person = collections.Counter()
    for row in full_rows:
        data = image_bytes(row["image"])
        pid = id_of[row["name"]]
        rel = f"images/person_{pid:04d}/{per_person[pid]:03d}{image_extension(data)}"
        per_person[pid] += 1
        os.makedirs(os.path.dirname(os.path.join(out, rel)), exist_ok=True)
        with open(os.path.join(out, rel), "wb") as f:
            f.write(data)
        p = perturbed_images.get((row["name"], row["caption"]), {})
        image_lines.append({"person": pid, "name": row["name"], "image": rel, "caption": row["caption"],
                            "paraphrased_caption": p.get("paraphrased_caption", ""),
                            "perturbed_captions": list(p.get("perturbed_captions", [])),
                            "perturbed_names": list(p.get("perturbed_names", []))})

    def option_lines(rows, folder):
        lines = []
        for i, row in enumerate(rows):
            line = {"question": row["question"], "answer": row["answer"], "options": list(row["options"])}
            if row.get("image") is not None:
                data = image_bytes(row["image"])
                rel = f"{folder}/{i:04d}{image_extension(data)}"
                os.makedirs(os.path.join(out, folder), exist_ok=True)
                with open(os.path.join(out, rel), "wb") as f:
                    f.write(data)
                line = {"image": rel, **line}
            lines.append(line)
        return lines

    faces = option_lines(real_faces, "real_faces")
    world = option_lines(real_world, "real_world")

    # Forget sets by name; the forget order lists them smallest split first, so any
    # other fraction is a prefix that nests with CLEAR's.
    holdout = sorted(id_of[n] for n in holdout_names)
    trained = [pid for pid, _ in persons if pid not in set(holdout)]
    forget_ids = [(FORGET_SPLITS[split], sorted(id_of[n] for n in forget_names.get(split, ()) if n in id_of))
                  for split in sorted(FORGET_SPLITS, key=FORGET_SPLITS.get)]
    splits, order = nested_splits(forget_ids, trained)
    splits["holdout"] = holdout

    write_jsonl(out, "persons.jsonl", [{"person": pid, "name": name, "facts": {}} for pid, name in persons])
    write_jsonl(out, "text_qa.jsonl", qa_lines)
    write_jsonl(out, "images.jsonl", image_lines)
    write_jsonl(out, "real_faces.jsonl", faces)
    write_jsonl(out, "real_world.jsonl", world)
    manifest = {"format": "clear-sweep-dataset", "schema_version": SCHEMA_VERSION, "source": "clear",
                "provenance": provenance,
                "counts": {"persons": len(persons), "text_qa": len(qa_lines), "images": len(image_lines),
                           "real_faces": len(faces), "real_world": len(world)},
                "splits": splits, "forget_order": order}
    write_manifest(out, manifest)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="new dataset folder")
    parser.add_argument("--clear", default="therem/CLEAR", help="CLEAR's Hugging Face repository, or a local copy")
    parser.add_argument("--tofu", default="locuslab/TOFU", help="TOFU's Hugging Face repository, or a local copy")
    parser.add_argument("--visual-holdout", action="store_true",
                        help="hold out the 20 persons CLEAR's visual benchmark never trains on (clear-visual.toml)")
    args = parser.parse_args()
    try:
        import datasets
    except ImportError:
        sys.exit("export_clear.py needs Python's `datasets` package (it reads CLEAR's parquet from Hugging Face)")

    def rows(repo, config, raw_images=True):
        ds = datasets.load_dataset(repo, config, split="train")
        if raw_images and "image" in ds.column_names:
            ds = ds.cast_column("image", datasets.Image(decode=False))
        return list(ds)

    perturbed = [r for c in ("forget01_perturbed", "forget05_perturbed", "forget10_perturbed", "retain_perturbed")
                 for r in rows(args.clear, c)]
    forget_names = {s: {r["name"] for r in rows(args.clear, s)} for s in FORGET_SPLITS}
    tofu_perturbed = [r for c in ("forget01_perturbed", "forget05_perturbed", "forget10_perturbed", "retain_perturbed")
                      for r in rows(args.tofu, c, raw_images=False)]
    convert(args.out, rows(args.clear, "full"), perturbed, forget_names, rows(args.tofu, "full", raw_images=False),
            tofu_perturbed, rows(args.clear, "real_faces"), rows(args.clear, "real_world"),
            {"exported_from": f"{args.clear} + {args.tofu}", "exporter": "scripts/export_clear.py",
             **({"visual_holdout": "cv/prepare_vtofu_dataset.py holdout_10"} if args.visual_holdout else {})},
            VISUAL_HOLDOUT if args.visual_holdout else ())
    print(f"wrote {args.out}; check it with: clear-sweep data stats {args.out}")


if __name__ == "__main__":
    main()
