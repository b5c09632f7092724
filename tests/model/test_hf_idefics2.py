"""clear-sweep's Idefics2 against transformers (issue 37).

Tiny random Idefics2ForConditionalGeneration models (a SigLIP encoder, the perceiver
resampler with grouped key/value heads, a Mistral decoder with and without a sliding
window, tied and untied), saved with save_pretrained. On batches of crops of different
sizes (none a multiple of the patch, so transformers' padding and patch attention mask
matter), two in a row, a text-only row and padding on either side, through transformers
(pixel_values padded to the batch's largest crop, pixel_attention_mask) and clear-sweep
(tests/model/hf_forward_dump: each crop's full patches and its grid as image_grid_thw):
  - logits and every decoder layer's hidden states within 1e-4;
  - the encoder's bucketed positions: crops of every grid from 1 x 1 to 6 x 6 patches
    (past the 4 x 4 position grid);
  - greedy generation token for token, with the KV cache and without;
  - PEFT LoRA both ways, the encoder's, the connector's and the resampler's linears included;
  - `clear-sweep score` on a folder as Idefics2Processor saves one (SentencePiece with
    Idefics2's added tokens, its chat template, Idefics2ImageProcessor with splitting off
    and on): ids equal the processor's apply_chat_template, answer NLL within 1e-4,
    greedy tokens equal;
  - `--prompt llava-1.5` (MLLMU-Bench's evaluation text): ids equal Idefics2Processor's on
    "USER: <image>\n... ASSISTANT:";
  - settings clear-sweep cannot compute are refused naming the key.

usage: test_hf_idefics2.py HF_FORWARD_DUMP CLEAR_SWEEP IMAGE_PREPROCESS_DUMP"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hf_reference import (check, check_forward, check_lora_both_ways, check_refusals, finish,  # noqa: E402
                          randomize_weights, require, run_dump)

require("torch", "transformers", "safetensors", "peft", "sentencepiece", "PIL")
import torch  # noqa: E402

DUMP, CLEAR_SWEEP, IMAGE_DUMP = sys.argv[1], sys.argv[2], sys.argv[3]
TOLERANCE = 1e-4
NEW_TOKENS = 6
VOCAB, FAKE, IMAGE, EOU = 403, 400, 401, 402  # the score test's tokenizer: 400 pieces, then Idefics2's added tokens
PATCH, SIDE, LATENTS = 8, 32, 4
# Crop sizes in pixels (height, width): none a multiple of the patch.
CROPS = {"wide": (20, 45), "tall": (43, 17), "square": (30, 31), "big": (50, 38), "small": (9, 11)}


def tiny(seed=0, *, tied=False, window=None, kv_heads=2):
    from transformers import Idefics2Config, Idefics2ForConditionalGeneration, MistralConfig
    from transformers.models.idefics2.configuration_idefics2 import Idefics2PerceiverConfig, Idefics2VisionConfig
    vision = Idefics2VisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                  image_size=SIDE, patch_size=PATCH)
    perceiver = Idefics2PerceiverConfig(hidden_size=64, rms_norm_eps=1e-6, resampler_n_latents=LATENTS,
                                        resampler_depth=2, resampler_n_heads=4, resampler_head_dim=8,
                                        num_key_value_heads=kv_heads)
    text = MistralConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
                         num_key_value_heads=2, intermediate_size=96, rms_norm_eps=1e-6, max_position_embeddings=512,
                         sliding_window=window, tie_word_embeddings=tied, pad_token_id=0)
    config = Idefics2Config(vision_config=vision, perceiver_config=perceiver, text_config=text, image_token_id=IMAGE,
                            tie_word_embeddings=tied)
    torch.manual_seed(seed)
    return randomize_weights(Idefics2ForConditionalGeneration(config).eval(), tied)


def patches_of(crop):
    """A crop [3, h, w] as clear-sweep packs it: its full patches, row-major, each (c, py, px)."""
    gh, gw = crop.shape[1] // PATCH, crop.shape[2] // PATCH
    full = crop[:, :gh * PATCH, :gw * PATCH].reshape(3, gh, PATCH, gw, PATCH)
    return full.permute(1, 3, 0, 2, 4).reshape(gh * gw, 3 * PATCH * PATCH), (gh, gw)


def batch(crops_per_row, *, left=False, seed=5):
    """Inputs for clear-sweep and for transformers: rows of random text with each crop's
    LATENTS <image> tokens in place."""
    g = torch.Generator().manual_seed(seed)
    text = lambda k: torch.randint(3, 390, (k,), generator=g).tolist()  # noqa: E731
    size = lambda c: CROPS[c] if isinstance(c, str) else c  # noqa: E731
    crops = [[torch.randn(3, *size(c), generator=g) for c in row] for row in crops_per_row]
    rows = []
    for i, row_crops in enumerate(crops):
        row = [1] + text(3 + i)
        for _ in row_crops:
            row += [FAKE] + [IMAGE] * LATENTS + [FAKE] + text(2)
        rows.append(row)
    length = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), length, dtype=torch.long)
    mask = torch.zeros(len(rows), length, dtype=torch.long)
    for i, r in enumerate(rows):
        span = slice(length - len(r), length) if left else slice(0, len(r))
        ids[i, span] = torch.tensor(r)
        mask[i, span] = 1
    common = {"input_ids": ids, "attention_mask": mask}
    flat = [c for row in crops for c in row]
    if not flat:
        return {**common, "position_ids": (mask.cumsum(1) - 1).clamp(min=0)}, common
    packed = [patches_of(c) for c in flat]
    ours = {"pixel_values": torch.cat([p for p, _ in packed]),
            "image_grid_thw": torch.tensor([[1, gh, gw] for _, (gh, gw) in packed], dtype=torch.long)}
    most = max(len(r) for r in crops)
    height, width = max(c.shape[1] for c in flat), max(c.shape[2] for c in flat)
    pixels = torch.zeros(len(crops), most, 3, height, width)
    pixel_mask = torch.zeros(len(crops), most, height, width, dtype=torch.long)
    for i, row in enumerate(crops):
        for j, c in enumerate(row):
            pixels[i, j, :, :c.shape[1], :c.shape[2]] = c
            pixel_mask[i, j, :c.shape[1], :c.shape[2]] = 1
    ref = {"pixel_values": pixels, "pixel_attention_mask": pixel_mask}
    return {**common, "position_ids": (mask.cumsum(1) - 1).clamp(min=0), **ours}, {**common, **ref}


def dump(folder, inputs, *flags):
    return run_dump(DUMP, folder, inputs, *flags)


BATCHES = {
    "wide, tall, text-only rows (right padding)": dict(crops_per_row=[["wide"], ["tall"], []]),
    "square and small in a row, big, left padding": dict(crops_per_row=[["square", "small"], ["big"], []], left=True),
    "one crop, the largest of its batch": dict(crops_per_row=[["big"]]),
    # Each grid from 1 x 1 to 6 x 6 patches: its positions bucketed onto the 4 x 4 grid.
    "every grid from 1 x 1 to 6 x 6 patches": dict(
        crops_per_row=[[(h * PATCH + 3, w * PATCH + 5) for w in range(1, 7)] for h in range(1, 7)]),
}


def compare(name, model, folder):
    for label, spec in BATCHES.items():
        ours_in, ref_in = batch(**spec)
        with torch.no_grad():
            ref = model(**ref_in, output_hidden_states=True)
        ours, error = dump(folder, ours_in)
        if ours is None:
            check(False, f"{name}, {label}: clear-sweep loads the folder ({error})")
            return
        check_forward(f"{name}, {label}", ours, ref, ours_in["attention_mask"].bool(),
                      model.model.text_model.norm, TOLERANCE)


def compare_generation(name, model, folder):
    ours_in, ref_in = batch([["wide"], ["small", "tall"], []], left=True, seed=11)
    with torch.no_grad():
        ref = model.generate(**ref_in, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                             eos_token_id=None, pad_token_id=0,
                             suppress_tokens=[IMAGE, 0])[:, ref_in["input_ids"].shape[1]:]  # clear-sweep never generates padding
    ours, error = dump(folder, ours_in, "--generate", str(NEW_TOKENS))
    if ours is None:
        check(False, f"{name}: clear-sweep generates ({error})")
        return
    check(torch.equal(ours["generated"], ref), f"{name}: greedy generation with the images and the KV cache "
                                                f"({ours['generated'].tolist()} vs {ref.tolist()})")
    check(torch.equal(ours["generated_nocache"], ref), f"{name}: greedy generation without the cache")


ALL_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "out_proj", "fc1", "fc2"]


def compare_lora(name, kwargs, folder):
    ours_in, ref_in = batch([["wide"], ["square", "small"], []])
    saved = check_lora_both_ways(name, DUMP, folder, lambda: tiny(**kwargs), ours_in, ref_in, ALL_TARGETS, TOLERANCE,
                                 lambda n: ".vision_model." in n or ".connector." in n)
    if saved is not None:
        check(any("perceiver_resampler" in t for t in saved) and any("vision_model" in t for t in saved),
              f"{name}: (clear-sweep's adapter holds the encoder's and the resampler's layers)")


VARIANTS = {
    "Mistral without a window, untied": {},
    "Mistral, sliding window 12, tied, one key/value head in the resampler": dict(window=12, tied=True, seed=2,
                                                                                   kv_heads=1),
}


def run_variants(root):
    for i, (name, kwargs) in enumerate(VARIANTS.items()):
        model = tiny(**kwargs)
        folder = os.path.join(root, f"m{i}")
        model.save_pretrained(folder)
        compare(f"{name}", model, folder)
        compare_generation(name, model, folder)
        compare_lora(name, kwargs, folder)
    folder = os.path.join(root, "bad")
    tiny().save_pretrained(folder)
    check_refusals(DUMP, folder, {"input_ids": torch.tensor([[1, 5, 6]])}, [
        (("perceiver_config", "hidden_act"), "gelu", "perceiver_config.hidden_act"),
        (("perceiver_config", "num_key_value_heads"), 3, "perceiver_config.num_key_value_heads"),
        (("vision_config", "hidden_act"), "relu", "vision_config.hidden_act"),
        (("text_config", "model_type"), "qwen2", "text_config.model_type"),
        (("image_token_id",), 5000, "image_token_id"),
    ])


# --- score on a folder as Idefics2Processor saves one -----------------------------------

ITEMS = [{"question": "Who is the person in this picture?", "answer": "Delmi Pesillund, the novelist.",
          "image": "wide.png"},
         {"question": "What is shown here?", "answer": "A tall red lighthouse.", "image": "tall.png"},
         {"question": "Where was she born?", "answer": "In Tallinn."}]
PICTURES = {"wide.png": (40, 91), "tall.png": (97, 33)}
SHORTEST, LONGEST = 24, 48  # the processor's size: each crop between them, so 3 to 6 patches a side


def idefics2_tokenizer(folder, corpus):
    """A SentencePiece tokenizer trained on `corpus` with Llama's settings (400 pieces; unk
    0, BOS 1, EOS 2), as transformers' LlamaTokenizer (legacy=False, padding <unk>, as
    Idefics2's); Idefics2Processor adds <fake_token_around_image>, <image> and
    <end_of_utterance> after the pieces."""
    import sentencepiece as spm
    from transformers import LlamaTokenizer
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_prefix=os.path.join(folder, "tokenizer"), vocab_size=400,
        model_type="bpe", byte_fallback=True, split_digits=True, add_dummy_prefix=True,
        remove_extra_whitespaces=False, normalization_rule_name="identity", allow_whitespace_only_pieces=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, character_coverage=1.0, minloglevel=2)
    os.remove(os.path.join(folder, "tokenizer.vocab"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "LlamaTokenizer", "legacy": False, "add_bos_token": True,
                   "add_eos_token": False, "pad_token": "<unk>"}, f)
    return LlamaTokenizer.from_pretrained(folder)


def our_crops(processor, picture):
    """clear-sweep's model input for `picture` under the processor's settings
    (tests/data/image_preprocess_dump): each crop's full patches, back as pixel_values
    [1, crops, 3, H, W] with their pixel_attention_mask, padded as transformers pads."""
    import numpy as np
    with tempfile.TemporaryDirectory() as tmp:
        processor.image_processor.save_pretrained(tmp)
        run = subprocess.run([IMAGE_DUMP, os.path.join(tmp, "preprocessor_config.json"), "--patch-size", str(PATCH),
                              "--image-seq-len", str(LATENTS), picture, os.path.join(tmp, "out")],
                             capture_output=True, text=True, check=True)
        info = json.loads(run.stdout)
        patches = torch.from_numpy(np.fromfile(os.path.join(tmp, "out.f32"), dtype=np.float32).reshape(info["shape"]))
    grids = [(r[1], r[2]) for r in info["layout_rows"]]
    height, width = max(h for h, _ in grids) * PATCH, max(w for _, w in grids) * PATCH
    pixels = torch.zeros(1, len(grids), 3, height, width)
    mask = torch.zeros(1, len(grids), height, width, dtype=torch.long)
    at = 0
    for i, (gh, gw) in enumerate(grids):
        crop = patches[at:at + gh * gw].reshape(gh, gw, 3, PATCH, PATCH).permute(2, 0, 3, 1, 4)
        pixels[0, i, :, :gh * PATCH, :gw * PATCH] = crop.reshape(3, gh * PATCH, gw * PATCH)
        mask[0, i, :gh * PATCH, :gw * PATCH] = 1
        at += gh * gw
    return pixels, mask


def compare_score(root, splitting):
    from PIL import Image
    from transformers import Idefics2Processor
    from transformers.models.idefics2.image_processing_pil_idefics2 import Idefics2ImageProcessorPil
    folder = os.path.join(root, f"score-{'split' if splitting else 'whole'}")
    os.makedirs(folder)
    corpus = [i["question"] + " " + i["answer"] for i in ITEMS] * 20 + ["User: Assistant: the a of in"] * 20
    tokenizer = idefics2_tokenizer(folder, corpus)
    with open(os.path.join(HERE, "..", "data", "published_templates", "idefics2-8b.jinja")) as f:
        template = f.read()
    images = Idefics2ImageProcessorPil(size={"shortest_edge": SHORTEST, "longest_edge": LONGEST},
                                       do_image_splitting=splitting)
    processor = Idefics2Processor(image_processor=images, tokenizer=tokenizer, image_seq_len=LATENTS,
                                  chat_template=template)
    check(tokenizer.convert_tokens_to_ids(["<fake_token_around_image>", "<image>", "<end_of_utterance>"]) ==
          [FAKE, IMAGE, EOU],
          "(the processor's added tokens are the model's)")
    processor.save_pretrained(folder)
    model = tiny()
    model.save_pretrained(folder)
    if not splitting:  # a processor whose <image> runs the resampler cannot fill is refused
        path = os.path.join(folder, "processor_config.json")
        with open(path) as f:
            good = f.read()
        with open(path, "w") as f:
            json.dump({**json.loads(good), "image_seq_len": LATENTS + 1}, f)
        with open(os.path.join(folder, "one.jsonl"), "w") as f:
            f.write(json.dumps(ITEMS[2]) + "\n")
        run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", os.path.join(folder, "one.jsonl")],
                             capture_output=True, text=True)
        check(run.returncode != 0 and "image_seq_len" in run.stderr,
              f"processor_config.json's image_seq_len {LATENTS + 1}: refused naming it ({run.stderr.strip()[-160:]})")
        with open(path, "w") as f:
            f.write(good)
    g = torch.Generator().manual_seed(3)
    for name, (h, w) in PICTURES.items():
        y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        base = torch.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], -1)
        noise = torch.randint(0, 40, (h, w, 3), generator=g)
        Image.fromarray((base + noise).clamp(0, 255).to(torch.uint8).numpy()).save(os.path.join(folder, name))
    items = os.path.join(folder, "items.jsonl")
    with open(items, "w") as f:
        f.writelines(json.dumps(i) + "\n" for i in ITEMS)
    # --prompt chat as a sweep's [model] prompt = "chat" asks (the folder's default too).
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", items, "--format", "json",
                          "--max-new-tokens", str(NEW_TOKENS), "--prompt", "chat"], capture_output=True, text=True)
    setting = f"image splitting {'on' if splitting else 'off'}"
    if run.returncode != 0:
        check(False, f"{setting}: clear-sweep score runs on the processor's folder ({run.stderr.strip()[-400:]})")
        return
    eos = tokenizer.eos_token_id
    for n, (item, ours) in enumerate(zip(ITEMS, [json.loads(line) for line in run.stdout.splitlines()])):
        picture = os.path.join(folder, item["image"]) if "image" in item else None
        content = ([{"type": "image"}] if picture else []) + [{"type": "text", "text": item["question"]}]
        question = [{"role": "user", "content": content}]
        answered = question + [{"role": "assistant", "content": [{"type": "text", "text": item["answer"]}]}]
        pil = [Image.open(picture)] if picture else None
        prompt = processor(text=processor.apply_chat_template(question, add_generation_prompt=True), images=pil,
                           return_tensors="pt")
        whole = processor(text=processor.apply_chat_template(answered), images=pil, return_tensors="pt")
        ids = whole["input_ids"]
        start = prompt["input_ids"].shape[1]
        label = f"{setting}, item {n} ({'image' if picture else 'text only'})"
        check(ours["input_ids"] == ids[0].tolist() and ours["answer_start"] == start,
              f"{label}: score's ids are Idefics2Processor's apply_chat_template ({ids.shape[1]} tokens, "
              f"{ids[0].tolist().count(IMAGE)} of them the image's)")

        def answer_nll(extra):
            with torch.no_grad():
                logp = torch.log_softmax(model(input_ids=ids, **extra).logits[0].double(), -1)
            return [-logp[t - 1, ids[0, t]].item() for t in range(start, ids.shape[1])]

        if picture:
            pixels, mask = our_crops(processor, picture)
            reference = answer_nll({"pixel_values": pixels, "pixel_attention_mask": mask})
            theirs = answer_nll({"pixel_values": whole["pixel_values"],
                                 "pixel_attention_mask": whole["pixel_attention_mask"]})
            diff = max(abs(a - b) for a, b in zip(theirs, reference))
            check(diff < TOLERANCE, f"{label}: transformers' NLL on clear-sweep's pixels equals its own on the "
                                    f"processor's (max |diff| {diff:.1e})")
        else:
            reference = answer_nll({})
        diff = max(abs(a - b) for a, b in zip(ours["nll_per_token"], reference))
        check(len(reference) == len(ours["nll_per_token"]) and diff < TOLERANCE,
              f"{label}: NLL per answer token within {TOLERANCE} (max |diff| {diff:.1e})")
        extra = {"pixel_values": prompt["pixel_values"], "pixel_attention_mask": prompt["pixel_attention_mask"]} \
            if picture else {}
        with torch.no_grad():
            generated = model.generate(input_ids=prompt["input_ids"], attention_mask=prompt["attention_mask"],
                                       **extra, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                                       do_sample=False, eos_token_id=None, pad_token_id=0,
                                       suppress_tokens=[IMAGE, 0])[0, start:].tolist()
        # clear-sweep ends an answer at EOS or at the template's <end_of_utterance>.
        stops = [i for i, t in enumerate(generated) if t in (eos, EOU)]
        want = generated[:stops[0]] if stops else generated
        check(ours["generation_ids"] == want, f"{label}: greedy tokens ({ours['generation_ids']} vs {want})")


def compare_llava15_prompt(root):
    """--prompt llava-1.5: LLaVA-1.5's text, as MLLMU-Bench's eval.py asks Idefics2, through
    Idefics2Processor (the folder compare_score left, splitting on: 5 crops' runs)."""
    from PIL import Image
    from transformers import Idefics2Processor
    folder = os.path.join(root, "score-split")
    processor = Idefics2Processor.from_pretrained(folder)
    tokenizer = processor.tokenizer
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", os.path.join(folder, "items.jsonl"),
                          "--format", "json", "--max-new-tokens", "1", "--prompt", "llava-1.5"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        check(False, f"--prompt llava-1.5: clear-sweep score runs ({run.stderr.strip()[-400:]})")
        return
    for n, (item, ours) in enumerate(zip(ITEMS, [json.loads(line) for line in run.stdout.splitlines()])):
        picture = os.path.join(folder, item["image"]) if "image" in item else None
        text = ("USER: <image>\n" if picture else "USER: ") + item["question"] + " ASSISTANT:"
        prompt = processor(text=text, images=[Image.open(picture)] if picture else None)["input_ids"][0]
        answer = tokenizer(" " + item["answer"], add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        check(ours["input_ids"] == prompt + answer and ours["answer_start"] == len(prompt),
              f"--prompt llava-1.5, item {n}: score's ids are Idefics2Processor's on LLaVA-1.5's text "
              f"({len(prompt)} prompt tokens, {prompt.count(IMAGE)} of them the image's)")


def main():
    with tempfile.TemporaryDirectory() as root:
        run_variants(root)
        for splitting in (False, True):
            compare_score(root, splitting)
        compare_llava15_prompt(root)
    finish()


if __name__ == "__main__":
    main()
