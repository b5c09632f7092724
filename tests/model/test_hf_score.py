"""`clear-sweep score` against transformers (issue 15): a tiny random LLaVA with a
SentencePiece tokenizer trained here with Llama's settings (byte fallback, dummy prefix,
split digits, no normalisation), llava-1.5's chat template and a CLIP processor, saved as
a llava-hf folder is laid out. For items with and without images and with varied text
(spaces, newlines, digits, unicode):
  - the sequence clear-sweep scores equals LlavaProcessor's tokens for
    apply_chat_template's text plus " " + answer (placeholders expanded), then EOS, and
    the answer starts where the prompt's tokens end;
  - text-only sequences also equal the sentencepiece library's own encoding (what the
    slow Llama tokenizer did; transformers 5 has only the fast one);
  - per-token answer NLL within 1e-4 of transformers' (1e-3 with an image: the pixels
    differ by up to 1/255, see test_clip_processor.py);
  - greedy generation equals generate(do_sample=False) token for token (clear-sweep never
    emits <image> or <pad>; transformers is told the same with bad_words_ids).
A malformed items file is refused naming the file, line and field. The same on a folder
in transformers 5's layout (the image processor inside processor_config.json, issue 31),
with images of three aspect ratios; a folder with no processor settings is refused.

usage: test_hf_score.py CLEAR_SWEEP"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hf_reference import check, finish, llama_sentencepiece, require, tiny_llava  # noqa: E402

require("torch", "transformers", "sentencepiece", "PIL", "skimage")
import numpy as np  # noqa: E402
import sentencepiece as spm  # noqa: E402
import skimage.data  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from transformers import (  # noqa: E402
    AutoImageProcessor, CLIPImageProcessorPil, LlavaProcessor)

CLEAR_SWEEP = sys.argv[1]
TOLERANCE = 1e-4
IMAGE_TOLERANCE = 1e-3
NEW_TOKENS = 6


ITEMS = [
    {"question": "What is shown in this picture?", "answer": "A red fox, 12 years old.", "image": "fox.png"},
    {"question": "Describe the image.", "answer": "Two cats  on a sofa\nand a lamp.", "image": "cat.png"},
    {"question": "Where was Ada Lovelace born?", "answer": "In London, in 1815."},
    {"question": "Naïve café — déjà vu?", "answer": "Oui: 3 croissants à 2,50 €."},
    {"question": "Line one\nline two", "answer": "  leading spaces and 007 digits"},
    {"question": "The name of the person on the image is", "answer": "Grace Hopper", "image": "cat.png"},
]
CORPUS = [w for item in ITEMS for w in (item["question"], item["answer"])] + [
    "USER: ASSISTANT: the a an of in on is was", "The quick brown fox jumps over the lazy dog.",
    "What can you see in this image? Write a caption for the image.", "Numbers 0123456789 and more."] * 40

with tempfile.TemporaryDirectory() as root:
    folder = os.path.join(root, "llava")
    os.makedirs(folder)
    tokenizer = llama_sentencepiece(folder, CORPUS)  # llava-hf's <image> then <pad> after its pieces
    image_id, pad_id = tokenizer.convert_tokens_to_ids(["<image>", "<pad>"])
    check((image_id, pad_id) == (400, 401), f"the reference tokenizer puts <image> at 400, <pad> at 401 "
                                            f"(got {image_id}, {pad_id})")
    model = tiny_llava(vocab=402, image_token=image_id, image_size=32, patch=8)
    model.config.pad_token_id = pad_id
    model.save_pretrained(folder)

    def greedy(prompt, pixel_values):
        """transformers' greedy tokens after `prompt`, up to EOS (never <image> or <pad>)."""
        pixels = {"pixel_values": pixel_values} if pixel_values is not None else {}
        with torch.no_grad():
            out = model.generate(input_ids=prompt["input_ids"], attention_mask=prompt["attention_mask"], **pixels,
                                 max_new_tokens=NEW_TOKENS, do_sample=False, eos_token_id=2, pad_token_id=pad_id,
                                 bad_words_ids=[[image_id], [pad_id]])
        new = out[0, prompt["input_ids"].shape[1]:].tolist()
        return new[:new.index(2)] if 2 in new else new
    processor_config = dict(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPImageProcessorPil(**processor_config).save_pretrained(folder)
    with open(os.path.join(HERE, "fixtures", "llava-1.5-chat-template.jinja")) as f:
        template = f.read()  # llava-hf/llava-1.5-7b-hf's chat template
    processor = LlavaProcessor(image_processor=CLIPImageProcessorPil(**processor_config), tokenizer=tokenizer,
                               patch_size=8, vision_feature_select_strategy="default", num_additional_image_tokens=1,
                               chat_template=template, image_token="<image>")

    Image.fromarray(skimage.data.chelsea()).save(os.path.join(root, "cat.png"))
    Image.fromarray(skimage.data.coffee()[:300, 50:500]).save(os.path.join(root, "fox.png"))
    items_path = os.path.join(root, "items.jsonl")
    with open(items_path, "w") as f:
        for item in ITEMS:
            f.write(json.dumps(item) + "\n")
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", items_path, "--format", "json",
                          "--max-new-tokens", str(NEW_TOKENS)], capture_output=True, text=True)
    check(run.returncode == 0, f"clear-sweep score runs ({run.stderr.strip()[-300:]})")
    lines = [json.loads(line) for line in run.stdout.splitlines()] if run.returncode == 0 else []
    check(len(lines) == len(ITEMS), f"one JSON object per item ({len(lines)})")
    sp = spm.SentencePieceProcessor(model_file=os.path.join(folder, "tokenizer.model"))

    for n, (item, ours) in enumerate(zip(ITEMS, lines), 1):
        content = ([{"type": "image"}] if "image" in item else []) + [{"type": "text", "text": item["question"]}]
        prompt_text = processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
        image = Image.open(os.path.join(root, item["image"])) if "image" in item else None
        full = processor(text=prompt_text + " " + item["answer"], images=image, return_tensors="pt")
        prompt = processor(text=prompt_text, images=image, return_tensors="pt")
        expected = full["input_ids"][0].tolist() + [tokenizer.eos_token_id]
        check(ours["input_ids"] == expected, f"item {n}: the scored sequence is LlavaProcessor's tokens + EOS")
        start = prompt["input_ids"].shape[1]
        check(ours["answer_start"] == start, f"item {n}: the answer starts at {start} ({ours['answer_start']})")
        if image is None:
            spm_ids = [1] + sp.encode(prompt_text + " " + item["answer"]) + [2]
            check(ours["input_ids"] == spm_ids, f"item {n}: text-only sequence equals sentencepiece's encoding")

        ids = torch.tensor([ours["input_ids"]])
        with torch.no_grad():
            logits = model(input_ids=ids, pixel_values=full.get("pixel_values")).logits[0]
        nll = torch.nn.functional.cross_entropy(logits[start - 1:-1], ids[0, start:], reduction="none")
        diff = float(np.abs(np.array(ours["nll_per_token"]) - nll.numpy()).max())
        # With an image, clear-sweep's pixels are within 1/255 of the processor's
        # (test_clip_processor.py), and this random model carries that into the NLL.
        tolerance = TOLERANCE if image is None else IMAGE_TOLERANCE
        check(len(ours["nll_per_token"]) == ours["tokens"] == ids.shape[1] - start and diff < tolerance,
              f"item {n}: per-token answer NLL within {tolerance} (max |diff| {diff:.1e}, {ours['tokens']} tokens)")
        check(abs(ours["nll_sum"] - float(nll.sum())) < tolerance * ours["tokens"], f"item {n}: NLL sum")
        new = greedy(prompt, prompt["pixel_values"] if image is not None else None)
        check(ours["generation_ids"] == new, f"item {n}: greedy generation equals transformers' ({new})")

    # The folder's own template is the one it is asked through (LLaVA-1.5's on the chat
    # template path): here a vicuna-style system line before USER, in chat_template.json.
    vicuna = "{{ 'A chat between a curious human and an artificial intelligence assistant. ' }}" + template
    with open(os.path.join(folder, "chat_template.json"), "w") as f:
        json.dump({"chat_template": vicuna}, f)
    own = LlavaProcessor(image_processor=CLIPImageProcessorPil(**processor_config), tokenizer=tokenizer,
                         patch_size=8, vision_feature_select_strategy="default", num_additional_image_tokens=1,
                         chat_template=vicuna, image_token="<image>")
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", items_path, "--format", "json",
                          "--max-new-tokens", "0"], capture_output=True, text=True)
    lines = [json.loads(line) for line in run.stdout.splitlines()] if run.returncode == 0 else []
    check(len(lines) == len(ITEMS), f"score reads a folder with its own template ({run.stderr.strip()[-200:]})")
    for n, (item, ours) in enumerate(zip(ITEMS, lines), 1):
        content = ([{"type": "image"}] if "image" in item else []) + [{"type": "text", "text": item["question"]}]
        prompt_text = own.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
        image = Image.open(os.path.join(root, item["image"])) if "image" in item else None
        expected = own(text=prompt_text + " " + item["answer"], images=image)["input_ids"][0] + [tokenizer.eos_token_id]
        check(prompt_text.startswith("A chat between") and ours["input_ids"] == expected,
              f"item {n}: the folder's own template, tokenized as LlavaProcessor does")
    os.remove(os.path.join(folder, "chat_template.json"))

    # transformers 5's layout (issue 31): LlavaProcessor.save_pretrained writes the image
    # processor's settings into processor_config.json ("image_processor") and no
    # preprocessor_config.json. Images of three aspect ratios, each resized and cropped:
    # per-token NLL and greedy ids equal transformers' with the processor it loads back.
    nested = os.path.join(root, "llava-nested")
    shutil.copytree(folder, nested)
    os.remove(os.path.join(nested, "preprocessor_config.json"))
    processor.save_pretrained(nested)
    with open(os.path.join(nested, "processor_config.json")) as f:
        saved = json.load(f)
    check(not os.path.exists(os.path.join(nested, "preprocessor_config.json")) and "image_processor" in saved,
          "transformers 5 keeps the image processor inside processor_config.json")
    if not os.path.exists(os.path.join(nested, "tokenizer.model")):
        shutil.copy(os.path.join(folder, "tokenizer.model"), nested)
    reloaded = AutoImageProcessor.from_pretrained(nested)
    Image.fromarray(skimage.data.astronaut()[:, 140:340]).save(os.path.join(root, "tall.png"))
    nested_items = [ITEMS[0], ITEMS[1], {"question": "Who is this?", "answer": "An astronaut.", "image": "tall.png"}]
    nested_path = os.path.join(root, "nested.jsonl")
    with open(nested_path, "w") as f:
        for item in nested_items:
            f.write(json.dumps(item) + "\n")
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", nested, "--items", nested_path, "--format", "json",
                          "--max-new-tokens", str(NEW_TOKENS)], capture_output=True, text=True)
    check(run.returncode == 0, f"clear-sweep score reads processor_config.json ({run.stderr.strip()[-300:]})")
    lines = [json.loads(line) for line in run.stdout.splitlines()] if run.returncode == 0 else []
    for n, (item, ours) in enumerate(zip(nested_items, lines), 1):
        content = [{"type": "image"}, {"type": "text", "text": item["question"]}]
        prompt_text = processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
        image = Image.open(os.path.join(root, item["image"]))
        check(image.size[0] != image.size[1], f"nested item {n}: the image ({image.size}) needs resizing")
        full = processor(text=prompt_text + " " + item["answer"], images=image, return_tensors="pt")
        prompt = processor(text=prompt_text, images=image, return_tensors="pt")
        pixel_values = reloaded(images=image, return_tensors="pt")["pixel_values"]
        start = prompt["input_ids"].shape[1]
        ids = torch.tensor([ours["input_ids"]])
        check(ours["input_ids"] == full["input_ids"][0].tolist() + [tokenizer.eos_token_id],
              f"nested item {n}: the scored sequence is LlavaProcessor's tokens + EOS")
        with torch.no_grad():
            logits = model(input_ids=ids, pixel_values=pixel_values).logits[0]
        nll = torch.nn.functional.cross_entropy(logits[start - 1:-1], ids[0, start:], reduction="none")
        diff = float(np.abs(np.array(ours["nll_per_token"]) - nll.numpy()).max())
        check(diff < IMAGE_TOLERANCE, f"nested item {n}: per-token answer NLL within {IMAGE_TOLERANCE} of "
                                      f"transformers' (max |diff| {diff:.1e}, image {image.size})")
        new = greedy(prompt, pixel_values)
        check(ours["generation_ids"] == new, f"nested item {n}: greedy generation equals transformers' ({new})")
    check(len(lines) == len(nested_items), f"one JSON object per nested item ({len(lines)})")

    # A real model folder with no image processor settings at all is refused, naming the
    # files looked for (only our presets' folders are stretched).
    bare = os.path.join(root, "llava-bare")
    shutil.copytree(folder, bare)
    os.remove(os.path.join(bare, "preprocessor_config.json"))
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", bare, "--items", nested_path], capture_output=True,
                         text=True)
    check(run.returncode == 2 and "processor_config.json" in run.stderr and "preprocessor_config.json" in run.stderr,
          f"a folder without processor settings is refused naming both files ({run.stderr.strip()[:200]})")

    bad = os.path.join(root, "bad.jsonl")
    with open(bad, "w") as f:
        f.write(json.dumps(ITEMS[2]) + "\n" + json.dumps({"question": "no answer"}) + "\n")
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", bad], capture_output=True, text=True)
    check(run.returncode != 0 and "bad.jsonl:2" in run.stderr and "answer" in run.stderr,
          f"a line without an answer is refused naming file:line and the field ({run.stderr.strip()[:160]})")

finish()
