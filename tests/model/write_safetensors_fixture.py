#!/usr/bin/python3
"""Writes fixtures/python_written.safetensors with nothing but struct and json: an
independent writer for the C++ reader's test (tests/model/test_model.cpp).

Tensors: "a" F32 [2, 3] = 0.5 * arange(6); "b.weight" I64 [4] = [-2, -1, 0, 7];
"c" F16 [2] = [1.5, -0.25]; "d" BF16 [3] = [1.0, -2.0, 0.5]; metadata {"writer": "python"}.
"""
import json
import os
import struct

def bf16(x):
    return struct.pack("<I", struct.unpack("<I", struct.pack("<f", x))[0])[2:]

tensors = [
    ("a", "F32", [2, 3], b"".join(struct.pack("<f", 0.5 * i) for i in range(6))),
    ("b.weight", "I64", [4], b"".join(struct.pack("<q", v) for v in (-2, -1, 0, 7))),
    ("c", "F16", [2], struct.pack("<e", 1.5) + struct.pack("<e", -0.25)),
    ("d", "BF16", [3], b"".join(bf16(v) for v in (1.0, -2.0, 0.5))),
]
header = {"__metadata__": {"writer": "python"}}
offset = 0
for name, dtype, shape, data in tensors:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
text = json.dumps(header).encode()
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "python_written.safetensors")
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors))
print(out)

# fixtures/tiny_sentencepiece.model (for the SentencePiece-inside-a-torch-process test)
# was trained with Debian's spm_train on the synthetic world's questions, answers and
# captions (clear-sweep data synth --out /tmp/w1; seed 7):
#   spm_train --input=corpus.txt --model_prefix=tiny_sentencepiece --vocab_size=400
#     --model_type=bpe --character_coverage=1.0 --byte_fallback=true
#     --normalization_rule_name=identity --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1
