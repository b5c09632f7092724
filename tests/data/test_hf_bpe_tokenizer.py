"""tokenizer.json's byte-level BPE (issue 34) against the `tokenizers` library, the
fast tokenizer transformers uses, on tokenizers of the shapes real models ship:

  - Llama-3: its published Split pattern, ByteLevel without a regex, ignore_merges,
    special tokens (<|begin_of_text|>, <|eot_id|>, ...);
  - Qwen2 / Qwen2.5: NFC, its published Split pattern (single digits), ByteLevel,
    <|im_start|>, <|im_end|>, <|endoftext|>;
  - GPT-2: ByteLevel with its own regex, and add_prefix_space.

Each is trained by tokenizers at test time on a small corpus and saved as tokenizer.json;
clear-sweep (tests/data/tokenizer_decode_dump encode / decode) must give the same ids
for a varied text (runs of spaces, newlines, tabs, digits, accents composed and not,
CJK, emoji, contractions, special-token strings inside the text) and the same decoded
text with special tokens skipped.

usage: test_hf_bpe_tokenizer.py TOKENIZER_DECODE_DUMP"""
import json
import os
import subprocess
import sys
import tempfile
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("tokenizers")
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers  # noqa: E402

DUMP = sys.argv[1]

# As published in meta-llama/Llama-3.2-1B-Instruct's and Qwen/Qwen2.5-0.5B-Instruct's tokenizer.json.
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")

TRAIN = [
    "The quick brown fox jumps over the lazy dog. She's here, they'll go, we'd stay, I'm done.",
    "Naïve café — déjà vu? Oui: 3 croissants à 2,50 €. Ünïcödé ✓ façade coöperate",
    "東京は日本の首都です。 北京是中国的首都。 서울은 한국의 수도입니다.",
    "Numbers 0123456789, 2024-12-05, 3.14159 and 1,000,000.",
    "def f(x):\n    return x * 2\n\tindented\twith tabs\n\n\nthree newlines",
    "emoji 🙂🙃 👩‍👩‍👧 🇫🇷 and symbols @#$%^&*()[]{}<>",
] * 30

TEXTS = [
    "Hello world",
    " leading space and trailing space ",
    "multiple    spaces   between\twords\t\ttabs",
    "line one\nline two\r\nline three\n\n\nend",
    "DON'T SHOUT, it's fine; You're RIGHT, we'VE seen it",
    "1234567890 12 345 6789 3.14 1,000",
    "Cafe\u0301 and café (decomposed and composed), déjà vu, Ångström",
    "東京タワーは高い。北京欢迎你！",
    "🙂 emoji 👩‍👩‍👧 family 🇫🇷 flag",
    "<|begin_of_text|>Hello<|eot_id|>",
    "text<|im_start|>user\nhi<|im_end|>\n",
    "<|endoftext|><|endoftext|>twice",
    "   ",
    "\n",
    "",
    "mixed: tab\there, nbsp\u00a0here, zero-width\u200bhere, em\u2003space",
    "ÀÉÎÕÜ àéîõü ß ẞ ǅ",
    "Ελληνικά και Русский текст",
    "a" * 40 + " " + "ab" * 20,
]


def train(pre_tokenizer, normalizer, specials, ignore_merges, vocab_size=600):
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(TRAIN, trainer)
    return tok


def shapes():
    llama3 = train(pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)]),
        None, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|start_header_id|>", "<|end_header_id|>"],
        ignore_merges=True)
    qwen2 = train(pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)]),
        normalizers.NFC(), ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], ignore_merges=False)
    gpt2 = train(pre_tokenizers.ByteLevel(add_prefix_space=False), None, ["<|endoftext|>"], ignore_merges=False)
    gpt2_prefix = train(pre_tokenizers.ByteLevel(add_prefix_space=True), None, ["<|endoftext|>"],
                        ignore_merges=False)
    return {"llama-3": llama3, "qwen2": qwen2, "gpt-2": gpt2, "gpt-2, add_prefix_space": gpt2_prefix}


def run(mode, folder, lines):
    proc = subprocess.run([DUMP, mode, folder], input="".join(json.dumps(x) + "\n" for x in lines),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None, proc.stderr.strip()
    return [json.loads(line) for line in proc.stdout.splitlines()], ""


def main():
    with tempfile.TemporaryDirectory() as root:
        for name, tok in shapes().items():
            folder = os.path.join(root, name.replace(" ", "").replace(",", "-"))
            os.makedirs(folder)
            tok.save(os.path.join(folder, "tokenizer.json"))
            expected = [tok.encode(t, add_special_tokens=False).ids for t in TEXTS]
            ours, error = run("encode", folder, TEXTS)
            if ours is None:
                check(False, f"{name}: clear-sweep reads the tokenizer.json ({error[-300:]})")
                continue
            for text, want, got in zip(TEXTS, expected, ours):
                check(got == want, f"{name}: ids of {text[:40]!r} ({len(want)} tokens)"
                      + ("" if got == want else f": {got[:16]} vs {want[:16]}"))
            decoded, error = run("decode", folder, expected)
            if decoded is None:
                check(False, f"{name}: clear-sweep decodes ({error[-300:]})")
                continue
            for ids, got in zip(expected, decoded):
                want = tok.decode(ids, skip_special_tokens=True)
                check(got["text"] == want, f"{name}: decodes {want[:40]!r}" + ("" if got["text"] == want
                                                                              else f" (got {got['text'][:40]!r})"))
            if name == "qwen2":  # NFC: the decomposed and composed forms give one sequence
                a, _ = run("encode", folder, ["Cafe\u0301", unicodedata.normalize("NFC", "Cafe\u0301")])
                check(a is not None and a[0] == a[1], "qwen2: NFC makes decomposed and composed text one")
        # A tokenizer.json clear-sweep cannot follow: refused naming the key.
        bad = os.path.join(root, "bad")
        os.makedirs(bad)
        tok = shapes()["gpt-2"]
        tok.save(os.path.join(bad, "tokenizer.json"))
        with open(os.path.join(bad, "tokenizer.json")) as f:
            j = json.load(f)
        j["normalizer"] = {"type": "Lowercase"}
        with open(os.path.join(bad, "tokenizer.json"), "w") as f:
            json.dump(j, f)
        out, error = run("encode", bad, ["x"])
        check(out is None and "normalizer.type" in error, f"a Lowercase normalizer is refused naming it ({error[-160:]})")
    finish()


if __name__ == "__main__":
    main()
