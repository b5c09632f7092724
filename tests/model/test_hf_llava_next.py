"""clear-sweep's LLaVA-NeXT against transformers (issue 37).

Tiny random LlavaNextForConditionalGeneration models, Vicuna-shaped (Llama) and
Mistral-shaped (a sliding window shorter than the prompts), with grid pinpoints that
different images pick (wide, tall, square, small), saved with save_pretrained and
rewritten into transformers 4.52's names (model.language_model.*, model.image_newline).
On batches of images of those sizes, two in a row, a text-only row and padding on either
side, through transformers and clear-sweep (tests/model/hf_forward_dump; the tiles of each
image and its (tiles, height, width) as image_grid_thw):
  - logits and every decoder layer's hidden states within 1e-4;
  - greedy generation token for token, with the KV cache and without;
  - PEFT LoRA both ways, the CLIP tower's and the projector's linears included;
  - `clear-sweep score` on a folder as LlavaNextProcessor saves one (a SentencePiece
    tokenizer, llava-1.5's template, LlavaNextImageProcessor): ids equal the
    processor's apply_chat_template (each image's placeholders as many as its size
    gives), answer NLL within 1e-4 on clear-sweep's own pixels (1e-3 on the
    processor's), greedy tokens equal;
  - settings clear-sweep cannot compute are refused naming the key.

usage: test_hf_llava_next.py HF_FORWARD_DUMP CLEAR_SWEEP IMAGE_PREPROCESS_DUMP"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hf_reference import (check, check_forward, check_lora_both_ways, check_refusals, finish,  # noqa: E402
                          llama_sentencepiece, processor_pixels, randomize_weights, require, run_dump)

require("torch", "transformers", "safetensors", "peft", "sentencepiece", "PIL")
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

DUMP, CLEAR_SWEEP, IMAGE_DUMP = sys.argv[1], sys.argv[2], sys.argv[3]
TOLERANCE = 1e-4
IMAGE_TOLERANCE = 1e-3  # on the processor's pixels, which clear-sweep's are within one 8-bit step of
NEW_TOKENS = 6
VOCAB, IMAGE = 402, 400  # the score test's tokenizer: 400 pieces, then <image> and <pad>
SIDE = 32
PINPOINTS = [[32, 64], [64, 32], [64, 64], [96, 32]]
# Original sizes (height, width) that pick different pinpoints.
SIZES = {"wide": (20, 45), "tall": (70, 22), "square": (50, 52), "small": (9, 11)}


def tiny(text="llama", seed=0, *, tied=False, window=None):
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaNextConfig, LlavaNextForConditionalGeneration, \
        MistralConfig
    vision = CLIPVisionConfig(image_size=SIDE, patch_size=8, hidden_size=32, num_hidden_layers=3,
                              num_attention_heads=4, intermediate_size=64, projection_dim=16)
    shape = dict(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
                 intermediate_size=96, rms_norm_eps=1e-6, max_position_embeddings=512, tie_word_embeddings=tied)
    decoder = MistralConfig(sliding_window=window, **shape) if text == "mistral" else LlamaConfig(**shape)
    config = LlavaNextConfig(vision_config=vision, text_config=decoder, image_token_index=IMAGE,
                             image_grid_pinpoints=PINPOINTS, vision_feature_layer=-2,
                             vision_feature_select_strategy="default", tie_word_embeddings=tied)
    torch.manual_seed(seed)
    return randomize_weights(LlavaNextForConditionalGeneration(config).eval(), tied)


def tiles_of(model, sizes, g):
    """Random tiles for images of `sizes`: as many as transformers takes for each, and the
    number of placeholders each becomes (its packed features)."""
    from transformers.models.llava_next.modeling_llava_next import image_size_to_num_patches
    counts = [image_size_to_num_patches(list(s), PINPOINTS, SIDE) for s in sizes]
    tiles = [torch.randn(c, 3, SIDE, SIDE, generator=g) for c in counts]
    image_sizes = torch.tensor(sizes, dtype=torch.long)
    padded = torch.zeros(len(sizes), max(counts), 3, SIDE, SIDE)
    for i, t in enumerate(tiles):
        padded[i, :len(t)] = t
    with torch.no_grad():
        features = model.model.get_image_features(padded, image_sizes).pooler_output
    return torch.cat(tiles), padded, image_sizes, counts, [len(f) for f in features]


def batch(model, images_per_row, *, left=False, seed=5):
    g = torch.Generator().manual_seed(seed)
    sizes = [SIZES[name] for row in images_per_row for name in row]
    text = lambda k: torch.randint(3, 390, (k,), generator=g).tolist()  # noqa: E731
    ours, ref = {}, {}
    tokens = []
    if sizes:
        flat, padded, image_sizes, counts, tokens = tiles_of(model, sizes, g)
        ours = {"pixel_values": flat,
                "image_grid_thw": torch.tensor([[c, h, w] for c, (h, w) in zip(counts, sizes)], dtype=torch.long)}
        ref = {"pixel_values": padded, "image_sizes": image_sizes}
    rows, k = [], 0
    for i, row_images in enumerate(images_per_row):
        row = [1] + text(3 + i)
        for _ in row_images:
            row += [IMAGE] * tokens[k] + text(2)
            k += 1
        rows.append(row)
    length = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), length, dtype=torch.long)
    mask = torch.zeros(len(rows), length, dtype=torch.long)
    for i, r in enumerate(rows):
        span = slice(length - len(r), length) if left else slice(0, len(r))
        ids[i, span] = torch.tensor(r)
        mask[i, span] = 1
    common = {"input_ids": ids, "attention_mask": mask}
    return {**common, "position_ids": (mask.cumsum(1) - 1).clamp(min=0), **ours}, {**common, **ref}


def dump(folder, inputs, *flags):
    return run_dump(DUMP, folder, inputs, *flags)


BATCHES = {
    "wide, tall, text-only rows (right padding)": dict(images_per_row=[["wide"], ["tall"], []]),
    "square and small in a row, left padding": dict(images_per_row=[["square", "small"], ["wide"], []], left=True),
}


def compare(name, model, folder):
    for label, spec in BATCHES.items():
        ours_in, ref_in = batch(model, **spec)
        with torch.no_grad():
            ref = model(**ref_in, output_hidden_states=True)
        ours, error = dump(folder, ours_in)
        if ours is None:
            check(False, f"{name}, {label}: clear-sweep loads the folder ({error})")
            return
        check_forward(f"{name}, {label}", ours, ref, ours_in["attention_mask"].bool(),
                      model.model.language_model.norm, TOLERANCE)


def compare_generation(name, model, folder):
    ours_in, ref_in = batch(model, [["wide"], ["small", "tall"], []], left=True, seed=11)
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


ALL_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "out_proj", "fc1", "fc2",
               "linear_1", "linear_2"]


def compare_lora(name, kwargs, folder):
    model = tiny(**kwargs)
    ours_in, ref_in = batch(model, [["wide"], ["square"], []])
    check_lora_both_ways(name, DUMP, folder, lambda: tiny(**kwargs), ours_in, ref_in, ALL_TARGETS, TOLERANCE,
                         lambda n: "vision_tower" in n or "multi_modal_projector" in n)


def rename_weights(folder):
    """transformers 4.52's names: model.language_model.*, model.vision_tower.*,
    model.multi_modal_projector.*, model.image_newline, lm_head.*."""
    path = os.path.join(folder, "model.safetensors")
    out = {}
    for name, t in load_file(path).items():
        if name.startswith("language_model.model."):
            name = "model.language_model." + name[len("language_model.model."):]
        elif name.startswith("language_model.lm_head."):
            name = name[len("language_model."):]
        elif name.startswith(("vision_tower.", "multi_modal_projector.", "image_newline")):
            name = "model." + name
        out[name] = t.contiguous()
    save_file(out, path, metadata={"format": "pt"})
    return sorted(out)


VARIANTS = {
    "Vicuna-shaped (Llama), untied": {},
    "Mistral-shaped, sliding window 24, tied": dict(text="mistral", window=24, tied=True, seed=2),
}


def run_variants(root):
    for i, (name, kwargs) in enumerate(VARIANTS.items()):
        model = tiny(**kwargs)
        folder = os.path.join(root, f"m{i}")
        model.save_pretrained(folder)
        compare(f"{name} (saved by transformers 5)", model, folder)
        compare_generation(name, model, folder)
        compare_lora(name, kwargs, folder)
        names = rename_weights(folder)
        check("model.image_newline" in names, f"{name}: (transformers 4.52's layout written)")
        compare(f"{name} (transformers 4.52's weight names)", model, folder)
    folder = os.path.join(root, "bad")
    tiny().save_pretrained(folder)
    check_refusals(DUMP, folder, {"input_ids": torch.tensor([[1, 5, 6]])}, [
        (("image_grid_pinpoints",), [[32, 50]], "image_grid_pinpoints"),
        (("vision_feature_select_strategy",), "full", "vision_feature_select_strategy"),
        (("text_config", "model_type"), "qwen2", "text_config.model_type"),
    ])


# --- score on a folder as LlavaNextProcessor saves one ---------------------------------

ITEMS = [{"question": "Who is the person in this picture?", "answer": "Delmi Pesillund, the novelist.",
          "image": "wide.png"},
         {"question": "What is shown here?", "answer": "A tall red lighthouse.", "image": "tall.png"},
         {"question": "Where was she born?", "answer": "In Tallinn."}]


def compare_score(root):
    from PIL import Image
    from transformers import LlavaNextProcessor
    from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil
    folder = os.path.join(root, "score")
    os.makedirs(folder)
    corpus = [i["question"] + " " + i["answer"] for i in ITEMS] * 20 + ["USER: ASSISTANT: the a of in"] * 20
    tokenizer = llama_sentencepiece(folder, corpus)
    check(tokenizer.convert_tokens_to_ids("<image>") == IMAGE, "(the tokenizer's <image> is the model's)")
    model = tiny()
    model.save_pretrained(folder)
    with open(os.path.join(HERE, "fixtures", "llava-1.5-chat-template.jinja")) as f:
        template = f.read()
    images = LlavaNextImageProcessorPil(size={"shortest_edge": SIDE}, crop_size={"height": SIDE, "width": SIDE},
                                        image_grid_pinpoints=PINPOINTS)
    processor = LlavaNextProcessor(image_processor=images, tokenizer=tokenizer, patch_size=8,
                                   vision_feature_select_strategy="default", num_additional_image_tokens=1,
                                   chat_template=template)
    processor.save_pretrained(folder)
    g = torch.Generator().manual_seed(3)
    for item in ITEMS[:2]:
        h, w = SIZES[item["image"][:-4]]
        h, w = h * 2, w * 2
        y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        base = torch.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], -1)
        noise = torch.randint(0, 40, (h, w, 3), generator=g)
        Image.fromarray((base + noise).clamp(0, 255).to(torch.uint8).numpy()).save(os.path.join(folder, item["image"]))
    items = os.path.join(folder, "items.jsonl")
    with open(items, "w") as f:
        f.writelines(json.dumps(i) + "\n" for i in ITEMS)
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", items, "--format", "json",
                          "--max-new-tokens", str(NEW_TOKENS)], capture_output=True, text=True)
    if run.returncode != 0:
        check(False, f"clear-sweep score runs on the processor's folder ({run.stderr.strip()[-400:]})")
        return
    eos = tokenizer.eos_token_id
    for n, (item, ours) in enumerate(zip(ITEMS, [json.loads(line) for line in run.stdout.splitlines()])):
        picture = os.path.join(folder, item["image"]) if "image" in item else None
        content = ([{"type": "image"}] if picture else []) + [{"type": "text", "text": item["question"]}]
        text = processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
        prompt = processor(text=text, images=Image.open(picture) if picture else None, return_tensors="pt")
        answer = tokenizer(" " + item["answer"], add_special_tokens=False)["input_ids"] + [eos]
        ids = torch.cat([prompt["input_ids"][0], torch.tensor(answer)]).unsqueeze(0)
        start = prompt["input_ids"].shape[1]
        label = f"item {n} ({'image' if picture else 'text only'})"
        check(ours["input_ids"] == ids[0].tolist() and ours["answer_start"] == start,
              f"{label}: score's ids are LlavaNextProcessor's ({ids.shape[1]} tokens, "
              f"{ids[0].tolist().count(IMAGE)} of them the image's)")

        def answer_nll(pixels):
            extra = {"pixel_values": pixels, "image_sizes": prompt["image_sizes"]} if picture else {}
            with torch.no_grad():
                logp = torch.log_softmax(model(input_ids=ids, **extra).logits[0].double(), -1)
            return [-logp[t - 1, ids[0, t]].item() for t in range(start, ids.shape[1])]

        nll = answer_nll(prompt["pixel_values"] if picture else None)
        diff = max(abs(a - b) for a, b in zip(ours["nll_per_token"], nll))
        tolerance = IMAGE_TOLERANCE if picture else TOLERANCE
        check(len(nll) == len(ours["nll_per_token"]) and diff < tolerance,
              f"{label}: NLL per answer token within {tolerance} on the processor's pixels (max |diff| {diff:.1e})")
        if picture:
            mine = processor_pixels(IMAGE_DUMP, processor, picture).unsqueeze(0)
            diff = max(abs(a - b) for a, b in zip(ours["nll_per_token"], answer_nll(mine)))
            check(diff < TOLERANCE, f"{label}: NLL within {TOLERANCE} on clear-sweep's own pixels "
                                    f"(max |diff| {diff:.1e})")
        extra = {"pixel_values": prompt["pixel_values"], "image_sizes": prompt["image_sizes"]} if picture else {}
        with torch.no_grad():
            generated = model.generate(input_ids=prompt["input_ids"], attention_mask=prompt["attention_mask"],
                                       **extra, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                                       do_sample=False, eos_token_id=None, pad_token_id=0,
                                       suppress_tokens=[IMAGE, IMAGE + 1])[0, start:].tolist()
        want = generated[:generated.index(eos)] if eos in generated else generated
        check(ours["generation_ids"] == want, f"{label}: greedy tokens ({ours['generation_ids']} vs {want})")


def main():
    with tempfile.TemporaryDirectory() as root:
        run_variants(root)
        compare_score(root)
    finish()


if __name__ == "__main__":
    main()
