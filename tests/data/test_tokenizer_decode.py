"""Decoding as the tokenizers' own decoders do (issue 31): random id sequences heavy in
byte tokens, decoded by clear-sweep and by the reference; and SentencePiece encoding of
a varied corpus (spaces and runs of them, tabs, newlines, digits, accents, NFC and NFD,
CJK, emoji) as transformers' LlamaTokenizer and its fast conversion encode it.
  - SentencePiece (Llama's settings, byte fallback): transformers' LlamaTokenizer.decode
    with skip_special_tokens, whose decoder chain turns every byte of a run of byte
    tokens that is not valid UTF-8 into U+FFFD (tokenizers' ByteFallback), keeps a valid
    run's text, skips <unk>, BOS, EOS, <image> and <pad>, and strips one leading space;
  - clear-sweep's byte-level BPE: its pieces' bytes decoded as a byte-level decoder does,
    bytes.decode("utf-8", "replace") (Rust's from_utf8_lossy in tokenizers' ByteLevel).

usage: test_tokenizer_decode.py TOKENIZER_DECODE_DUMP"""
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
from hf_reference import check, finish, llama_sentencepiece, require  # noqa: E402

require("transformers", "sentencepiece")
import sentencepiece as spm  # noqa: E402

DUMP = sys.argv[1]
CORPUS = ["Naïve café — déjà vu? Oui: 3 croissants à 2,50 €.", "東京は日本の首都です。 Ünïcödé ✓ 🙂",
          "The quick brown fox jumps over the lazy dog.", "Numbers 0123456789 and more."] * 40


def decode_all(folder, sequences):
    run = subprocess.run([DUMP, "decode", folder], input="".join(json.dumps(s) + "\n" for s in sequences),
                         capture_output=True, text=True)
    check(run.returncode == 0, f"the dump decodes every sequence to valid UTF-8 ({run.stderr.strip()[-200:]})")
    return [json.loads(line) for line in run.stdout.splitlines()]


rng = random.Random(31)
with tempfile.TemporaryDirectory() as root:
    # SentencePiece, as test_hf_score.py trains it (Llama's settings), with llava-hf's
    # <image> and <pad> appended.
    sp_dir = os.path.join(root, "sp")
    os.makedirs(sp_dir)
    tokenizer = llama_sentencepiece(sp_dir, CORPUS, character_coverage=0.98)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(sp_dir, "tokenizer.model"))
    byte_ids = [i for i in range(sp.get_piece_size()) if sp.is_byte(i)]
    other_ids = [i for i in range(sp.get_piece_size()) if not sp.is_byte(i)] + [400, 401]
    check(len(byte_ids) == 256, f"the model has 256 byte pieces ({len(byte_ids)})")

    def byte(b):
        return sp.piece_to_id(f"<0x{b:02X}>")

    sequences = [
        # The case: a run with stray UTF-8 lead bytes and ASCII bytes between them.
        [byte(0xB8), byte(0x48), byte(0xEE), byte(0x48), byte(0xEE), byte(0x48)],
        [byte(b) for b in "é".encode()] + [sp.piece_to_id("▁the")],  # a valid run keeps its text
        [byte(b) for b in "🙂".encode()[:3]],  # a character cut short
        [1, byte(0x41), 2, 0, 400, 401],  # specials between byte tokens
    ]
    for _ in range(300):
        n = rng.randint(1, 24)
        sequences.append([rng.choice(byte_ids) if rng.random() < 0.6 else rng.choice(other_ids) for _ in range(n)])
    ours = decode_all(sp_dir, sequences)
    mismatches = [(s, o["text"], tokenizer.decode(s, skip_special_tokens=True))
                  for s, o in zip(sequences, ours) if o["text"] != tokenizer.decode(s, skip_special_tokens=True)]
    check(len(ours) == len(sequences) and not mismatches,
          f"SentencePiece: {len(sequences)} sequences decode as transformers' LlamaTokenizer "
          f"({len(mismatches)} differ{': ' + repr(mismatches[0]) if mismatches else ''})")
    check(ours[0]["text"] == "\ufffd" * 6, f"the issue's run gives six U+FFFD ({ours[0]['text']!r})")

    # Encoding (issue 34): a varied corpus as transformers' LlamaTokenizer and its fast
    # tokenizer (tokenizers, converted from the same model) encode it without specials.
    from transformers import LlamaTokenizerFast
    fast = LlamaTokenizerFast.from_pretrained(sp_dir, from_slow=True, legacy=False)
    texts = ["plain words", "  two leading spaces", "runs   of    spaces", "tabs\tand\ttabs", "new\nlines\n\n",
             "trailing space ", "digits 1234567890 3.14", "Naïve café déjà vu", "東京は日本の首都です。",
             "emoji 🙂✓ and Ünïcödé", "mixed: 東京 2,50 € — ok?", "\u00e9t\u00e9 (NFC) e\u0301te\u0301 (NFD)",
             "Question: Who wrote it?\nAnswer:", " a leading space", ""]
    run = subprocess.run([DUMP, "encode", sp_dir], input="".join(json.dumps(t) + "\n" for t in texts),
                         capture_output=True, text=True)
    got = [json.loads(line) for line in run.stdout.splitlines()] if run.returncode == 0 else []
    for text, ids in zip(texts, got):
        slow = tokenizer.encode(text, add_special_tokens=False)
        quick = fast.encode(text, add_special_tokens=False)
        check(ids == slow == quick, f"SentencePiece encodes {text!r} as LlamaTokenizer and its fast tokenizer do "
                                    f"({ids} / {slow} / {quick})")
    check(len(got) == len(texts), f"every text encoded ({run.stderr.strip()[-200:]})")

    # clear-sweep's byte-level BPE.
    bpe_dir = os.path.join(root, "bpe")
    os.makedirs(bpe_dir)
    run = subprocess.run([DUMP, "train-bpe", bpe_dir], capture_output=True, text=True)
    check(run.returncode == 0, f"a BPE tokenizer is trained ({run.stderr.strip()[-200:]})")
    with open(os.path.join(bpe_dir, "tokenizer.json")) as f:
        vocab = 4 + 256 + len(json.load(f)["merges"])
    sequences = [[rng.choice(range(4, 260)) if rng.random() < 0.6 else rng.randrange(0, vocab)
                  for _ in range(rng.randint(1, 24))] for _ in range(300)]
    ours = decode_all(bpe_dir, sequences)
    mismatches = [(o["text"], bytes.fromhex(o["bytes_hex"]).decode("utf-8", "replace"))
                  for o in ours if o["text"] != bytes.fromhex(o["bytes_hex"]).decode("utf-8", "replace")]
    invalid = sum(1 for o in ours if "\ufffd" in o["text"])
    check(len(ours) == len(sequences) and not mismatches and invalid > 100,
          f"BPE: {len(sequences)} sequences ({invalid} with ill-formed bytes) decode as a byte-level decoder "
          f"does ({len(mismatches)} differ{': ' + repr(mismatches[0]) if mismatches else ''})")

finish()
