#!/usr/bin/python3
"""scripts/export_clear.py's conversion on hand-made CLEAR- and TOFU-shaped rows (no
`datasets` needed): the folder it writes must pass `clear-sweep data stats` unchanged,
with the persons, splits and fields where they belong.

usage: test_export_clear.py CLEAR_SWEEP_BINARY
"""
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("export_clear", os.path.join(ROOT, "scripts", "export_clear.py"))
export_clear = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_clear)


def png(width, height, shade):
    """A minimal valid RGB PNG, written with struct and zlib only."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes([shade, 255 - shade, (shade * 7) % 256]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    binary = sys.argv[1]
    names = ["Hsiao Yun-Hwa", "Carmen Montenegro", "Basil Mahfouz Al-Kuwaiti", "Nikolai Abilov"]
    tofu = []
    for a, name in enumerate(names[:3]):  # the fourth CLEAR person has no TOFU author
        for q in range(20):
            tofu.append({"question": f"What is fact {q} about {name}?", "answer": f"{name} has fact {q}."})
    tofu_perturbed = [{"question": tofu[0]["question"], "answer": tofu[0]["answer"],
                       "paraphrased_answer": "Paraphrase.", "perturbed_answer": ["Wrong 1.", "Wrong 2."]}]
    full = [{"image": {"bytes": png(4, 3, 10 * i), "path": None}, "caption": f"{n} in picture {i}.", "name": n}
            for i, n in enumerate(names + names)]
    perturbed = [{"caption": full[1]["caption"], "name": full[1]["name"], "paraphrased_caption": "A picture.",
                  "perturbed_captions": ["Wrong caption."], "perturbed_names": ["Someone Else"]}]
    forget_names = {"forget01": {"Carmen Montenegro"}, "forget05": {"Carmen Montenegro"},
                    "forget10": {"Carmen Montenegro", "Nikolai Abilov"}}
    faces = [{"image": {"bytes": png(2, 2, 200)}, "question": "Who is this?", "answer": "A Celebrity",
              "options": ["A Celebrity", "Another One", "A Third"]}]
    world = [{"image": {"bytes": png(2, 2, 50)}, "question": "What is this?", "answer": "A tower",
              "options": ["A bridge", "A tower"]}]

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "clear")
        export_clear.convert(out, full, perturbed, forget_names, tofu, tofu_perturbed, faces, world,
                             {"exporter": "test"})
        stats = subprocess.run([binary, "data", "stats", out, "--format", "json"], capture_output=True, text=True)
        assert stats.returncode == 0, stats.stderr
        s = json.loads(stats.stdout)["splits"]
        assert s["all"]["persons"] == 4, s
        assert s["all"]["text_qa"] == 60 and s["all"]["images"] == 8, s
        assert s["forget10"]["persons"] == 2 and s["retain90"]["persons"] == 2, s
        assert s["forget01"]["persons"] == 1 and s["retain99"]["persons"] == 3, s
        assert s["real_faces"]["option_qa"] == 1 and s["real_world"]["option_qa"] == 1, s

        persons = [json.loads(l) for l in open(os.path.join(out, "persons.jsonl"))]
        assert [p["name"] for p in persons] == names, persons  # TOFU authors 0..2 matched by name
        qa = [json.loads(l) for l in open(os.path.join(out, "text_qa.jsonl"))]
        assert qa[0]["perturbed_answer"] == ["Wrong 1.", "Wrong 2."] and qa[0]["paraphrased_answer"] == "Paraphrase."
        assert qa[25]["person"] == 1 and qa[25]["perturbed_answer"] == []
        images = [json.loads(l) for l in open(os.path.join(out, "images.jsonl"))]
        assert images[1]["perturbed_names"] == ["Someone Else"] and images[1]["person"] == 1
        assert images[3]["person"] == 3 and images[3]["image"].endswith(".png")
        manifest = json.load(open(os.path.join(out, "manifest.json")))
        assert manifest["forget_order"][:2] == [1, 3], manifest["forget_order"]

        # The visual benchmark's export: holdout persons, left out of every trained split.
        visual = os.path.join(tmp, "visual")
        export_clear.convert(visual, full, perturbed, forget_names, tofu, tofu_perturbed, faces, world, {},
                             ("Hsiao Yun-Hwa",))
        stats = subprocess.run([binary, "data", "stats", visual, "--format", "json"], capture_output=True, text=True)
        assert stats.returncode == 0, stats.stderr
        s = json.loads(stats.stdout)["splits"]
        assert s["holdout"]["persons"] == 1, s
        assert s["forget10"]["persons"] == 2 and s["retain90"]["persons"] == 1, s
        manifest = json.load(open(os.path.join(visual, "manifest.json")))
        assert manifest["splits"]["holdout"] == [0] and 0 not in manifest["forget_order"], manifest
        for bad, why in ((("Nobody Known",), "not in CLEAR"), (("Nikolai Abilov",), "in a forget split")):
            try:
                export_clear.convert(os.path.join(tmp, "bad"), full, perturbed, forget_names, tofu, tofu_perturbed,
                                     faces, world, {}, bad)
            except SystemExit as e:
                assert why in str(e), e
            else:
                raise AssertionError(f"holdout {bad} was accepted")

        # Refuses to write into a folder that holds anything.
        try:
            export_clear.convert(out, full, perturbed, forget_names, tofu, tofu_perturbed, faces, world, {})
        except SystemExit as e:
            assert "not empty" in str(e)
        else:
            raise AssertionError("export overwrote a dataset")
    print("export_clear: ok")


if __name__ == "__main__":
    main()
