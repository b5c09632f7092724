"""clear-sweep's Qwen2-VL and Qwen2.5-VL against transformers (issue 35).

Tiny random Qwen2VLForConditionalGeneration and Qwen2_5_VLForConditionalGeneration models
in several shapes (grouped-query and plain heads, tied and untied heads, other M-RoPE
sections, Qwen2.5-VL windows that do and do not divide the grid, one or several
full-attention blocks), saved with save_pretrained (the hub's weight names: visual.*,
model.layers.*), then with the hub's flat config.json (the decoder's keys at the top
level, rope_scaling "mrope"), then with transformers 4.52's names (model.visual.*,
model.language_model.*).
On batches of images of different grids (wide, tall, small, two in one row), text-only
rows and padding on either side, through transformers and through clear-sweep
(tests/model/hf_forward_dump):
  - logits and every decoder layer's hidden states within 1e-4;
  - greedy generation token for token, with the KV cache and without;
  - PEFT LoRA both ways, the vision encoder's qkv, proj, fc1/fc2 (or SwiGLU) and the
    merger's MLP included;
  - `clear-sweep score` on a folder with Qwen2VLProcessor's files (tokenizer.json, the
    published chat template, the image processor): input ids equal the processor's
    apply_chat_template (the image's <|image_pad|> run included), answer NLL per token
    within 1e-4 of transformers on clear-sweep's pixels (1e-3 on the processor's, which
    are within one 8-bit step), greedy tokens equal;
  - settings clear-sweep cannot compute are refused naming the key.

usage: test_hf_qwen2_vl.py HF_FORWARD_DUMP CLEAR_SWEEP IMAGE_PREPROCESS_DUMP"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_reference import (check, check_forward, check_lora_both_ways, check_refusals, finish,  # noqa: E402
                          processor_pixels, randomize_weights, require, run_dump)

require("torch", "transformers", "safetensors", "peft", "tokenizers", "PIL")
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

DUMP, CLEAR_SWEEP, IMAGE_DUMP = sys.argv[1], sys.argv[2], sys.argv[3]
TOLERANCE = 1e-4
# score with an image against transformers on the processor's pixels: clear-sweep's are
# within one 8-bit step of them (tests/data/test_qwen2_vl_processor.py), which moves a
# random model's NLL by more than 1e-4; on clear-sweep's own pixels the bound is 1e-4.
IMAGE_TOLERANCE = 1e-3
NEW_TOKENS = 6
VOCAB = 320
# The ids of the special tokens, as the tokenizer the score test trains puts them first.
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
            "<|video_pad|>"]
VISION_START, VISION_END, IMAGE, VIDEO = 3, 4, 5, 6
PATCH, MERGE, TEMPORAL = 4, 2, 2
TEMPLATE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "published_templates",
                             "qwen2-vl-instruct.jinja")


def tiny(kind, seed=0, *, heads=4, kv_heads=2, tied=False, mrope=(2, 3, 3), window=16, fullatt=(1,), act=None):
    """A random model of `kind` ("qwen2_vl" or "qwen2_5_vl") small enough for a CPU test."""
    from transformers import (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2VLConfig,
                              Qwen2VLForConditionalGeneration)
    text = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=96, num_hidden_layers=3,
                num_attention_heads=heads, num_key_value_heads=kv_heads, rms_norm_eps=1e-6,
                max_position_embeddings=512, tie_word_embeddings=tied,
                rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "mrope_section": list(mrope)})
    ids = dict(image_token_id=IMAGE, video_token_id=VIDEO, vision_start_token_id=VISION_START,
               vision_end_token_id=VISION_END, tie_word_embeddings=tied)
    if kind == "qwen2_vl":
        vision = dict(depth=2, embed_dim=32, num_heads=4, mlp_ratio=2, hidden_size=64, patch_size=PATCH,
                      spatial_merge_size=MERGE, temporal_patch_size=TEMPORAL, hidden_act=act or "quick_gelu")
        config, cls = Qwen2VLConfig(text_config=text, vision_config=vision, **ids), Qwen2VLForConditionalGeneration
    else:
        vision = dict(depth=3, hidden_size=32, intermediate_size=48, num_heads=4, out_hidden_size=64,
                      patch_size=PATCH, spatial_merge_size=MERGE, temporal_patch_size=TEMPORAL, window_size=window,
                      fullatt_block_indexes=list(fullatt), hidden_act=act or "silu")
        config, cls = Qwen2_5_VLConfig(text_config=text, vision_config=vision, **ids), Qwen2_5_VLForConditionalGeneration
    torch.manual_seed(seed)
    return randomize_weights(cls(config).eval(), tied, scale=0.08, norm_names=("norm", "ln_q"))


def batch(grids_per_row, *, left=False, seed=5):
    """Rows of text with each row's images (<|vision_start|>, its <|image_pad|> run,
    <|vision_end|>) and the images' random patches; padded on the right, or on the left."""
    g = torch.Generator().manual_seed(seed)
    text = lambda k: torch.randint(10, 300, (k,), generator=g).tolist()  # noqa: E731
    rows, grids = [], []
    for i, row_grids in enumerate(grids_per_row):
        row = text(3 + i)
        for (t, h, w) in row_grids:
            row += [VISION_START] + [IMAGE] * (t * h * w // MERGE ** 2) + [VISION_END] + text(2)
            grids.append([t, h, w])
        rows.append(row)
    length = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), length, dtype=torch.long)
    mask = torch.zeros(len(rows), length, dtype=torch.long)
    for i, r in enumerate(rows):
        span = slice(length - len(r), length) if left else slice(0, len(r))
        ids[i, span] = torch.tensor(r)
        mask[i, span] = 1
    out = {"input_ids": ids, "attention_mask": mask, "position_ids": (mask.cumsum(1) - 1).clamp(min=0)}
    if grids:
        patches = sum(t * h * w for t, h, w in grids)
        out["pixel_values"] = torch.randn(patches, 3 * TEMPORAL * PATCH * PATCH, generator=g)
        out["image_grid_thw"] = torch.tensor(grids, dtype=torch.long)
    return out


def reference_inputs(inputs):
    """What transformers' forward takes: the processor's mm_token_type_ids, no position_ids
    (Qwen2-VL computes its own)."""
    ref = {k: v for k, v in inputs.items() if k != "position_ids"}
    if "pixel_values" in inputs:
        ref["mm_token_type_ids"] = (inputs["input_ids"] == IMAGE).int()
    return ref


def dump(folder, inputs, *flags):
    return run_dump(DUMP, folder, inputs, *flags)


# Batches: wide, tall and small images; two images in a row; a text-only row beside
# images; padding on either side; a batch of text alone.
BATCHES = {
    "wide, tall, text-only rows (right padding)": dict(grids_per_row=[[(1, 4, 8)], [(1, 6, 2)], []]),
    "two images in a row, left padding": dict(grids_per_row=[[(1, 2, 2), (1, 4, 6)], [(1, 8, 8)], []], left=True),
    "text only": dict(grids_per_row=[[], [], []], seed=7),
}


def compare(name, model, folder):
    for label, spec in BATCHES.items():
        inputs = batch(**spec)
        with torch.no_grad():
            ref = model(**reference_inputs(inputs), output_hidden_states=True)
        ours, error = dump(folder, inputs)
        if ours is None:
            check(False, f"{name}, {label}: clear-sweep loads the folder ({error})")
            return
        check_forward(f"{name}, {label}", ours, ref, inputs["attention_mask"].bool(),
                      model.model.language_model.norm, TOLERANCE)


def compare_generation(name, model, folder):
    inputs = batch([[(1, 4, 6)], [(1, 2, 2), (1, 2, 4)], []], left=True, seed=11)
    with torch.no_grad():
        ref = model.generate(**reference_inputs(inputs), max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                             do_sample=False, eos_token_id=None, pad_token_id=0,
                             suppress_tokens=[IMAGE])[:, inputs["input_ids"].shape[1]:]
    ours, error = dump(folder, inputs, "--generate", str(NEW_TOKENS))
    if ours is None:
        check(False, f"{name}: clear-sweep generates ({error})")
        return
    check(torch.equal(ours["generated"], ref), f"{name}: greedy generation with the image and the KV cache, token "
                                                f"for token ({ours['generated'].tolist()} vs {ref.tolist()})")
    check(torch.equal(ours["generated_nocache"], ref), f"{name}: greedy generation without the cache, token for token")


# PEFT's names: the decoder's seven projections, the encoder's fused qkv and output
# projection, its MLP (fc1/fc2 or SwiGLU) and the merger's two linears; not the patch
# embedding (a Conv3d).
ALL_TARGETS = (r".*(language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
               r"|visual\.blocks\.\d+\.(attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2|mlp\.gate_proj|mlp\.up_proj|mlp\.down_proj)"
               r"|visual\.merger\.mlp\.(0|2))$")


def compare_lora(name, kind, kwargs, folder):
    inputs = batch([[(1, 4, 8)], [(1, 6, 2)], []])
    saved = check_lora_both_ways(name, DUMP, folder, lambda: tiny(kind, **kwargs), inputs, reference_inputs(inputs),
                                 ALL_TARGETS, TOLERANCE, lambda n: "visual" in n)
    if saved is not None:
        check(any("visual.merger.mlp.0" in t for t in saved), f"{name}: (clear-sweep's adapter holds the merger)")


def rename_weights(folder):
    """transformers 5 saves the hub's names (visual.*, model.{embed_tokens, layers,
    norm}.*, lm_head.*); rewrite them into the layout transformers 4.52 to 4.57 wrote
    (model.visual.*, model.language_model.*)."""
    path = os.path.join(folder, "model.safetensors")
    out = {}
    for name, t in load_file(path).items():
        if name.startswith("visual."):
            name = "model." + name
        elif name.startswith("model."):
            name = "model.language_model." + name[len("model."):]
        out[name] = t.contiguous()
    save_file(out, path, metadata={"format": "pt"})
    return sorted(out)


def flatten_config(folder):
    """config.json as the hub's folders have it: the decoder's keys at the top level,
    rope_scaling {"type": "mrope"} with rope_theta beside it."""
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    text = config.pop("text_config")
    rope = text.pop("rope_parameters")
    text["rope_scaling"] = {"type": "mrope", "mrope_section": rope["mrope_section"]}
    text["rope_theta"] = rope["rope_theta"]
    text.pop("model_type", None)
    config.update(text)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


VARIANTS = {
    "Qwen2-VL, GQA 4/2, untied": ("qwen2_vl", {}),
    "Qwen2-VL, plain heads 8, tied, sections 1/1/2, gelu": ("qwen2_vl", dict(heads=8, kv_heads=8, tied=True,
                                                                             mrope=(1, 1, 2), act="gelu", seed=3)),
    "Qwen2.5-VL, windows of 2 x 2 tokens, full attention at block 1": ("qwen2_5_vl", {}),
    "Qwen2.5-VL, windows of 3 x 3 tokens, full at 0 and 2, tied": ("qwen2_5_vl", dict(window=24, fullatt=(0, 2),
                                                                                       tied=True, seed=4)),
}


def run_variants(root):
    for i, (name, (kind, kwargs)) in enumerate(VARIANTS.items()):
        model = tiny(kind, **kwargs)
        folder = os.path.join(root, f"m{i}")
        model.save_pretrained(folder)
        compare(f"{name} (saved by transformers 5)", model, folder)
        compare_generation(name, model, folder)
        if i in (0, 2):
            compare_lora(name, kind, kwargs, folder)
        flatten_config(folder)
        compare(f"{name} (the hub's flat config.json)", model, folder)
        names = rename_weights(folder)
        check(any(n.startswith("model.visual.") for n in names), f"{name}: (transformers 4.52's layout written)")
        compare(f"{name} (transformers 4.52's weight names)", model, folder)


def run_errors(root):
    folder = os.path.join(root, "bad")
    tiny("qwen2_5_vl").save_pretrained(folder)
    check_refusals(DUMP, folder, batch([[]]), [
        (("text_config", "use_sliding_window"), True, "text_config.use_sliding_window"),
        (("text_config", "rope_parameters", "rope_type"), "yarn", "text_config.rope_parameters.rope_type"),
        (("text_config", "rope_parameters", "mrope_section"), [2, 2, 2], "mrope_section"),
        (("vision_config", "out_hidden_size"), 32, "vision_config.out_hidden_size"),
        (("vision_config", "hidden_act"), "relu", "vision_config.hidden_act"),
        (("vision_config", "fullatt_block_indexes"), [5], "vision_config.fullatt_block_indexes"),
        (("vision_config", "window_size"), 4, "vision_config.window_size"),
        (("image_token_id",), 5000, "image_token_id"),
    ])


# --- score on a folder as Qwen2VLProcessor saves one -----------------------------------

ITEMS = [{"question": "Who is the person in this picture?", "answer": "Delmi Pesillund, the novelist."},
         {"question": "Where was she born?", "answer": "In Tallinn."}]


def score_folder(root, kind):
    """A model whose special ids are a trained tokenizer's, saved with Qwen2VLProcessor
    (the PIL image processor at this model's patch and merge sizes, the published
    template), and the photograph-like images the items ask about."""
    from PIL import Image
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2VLProcessor
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = [i["question"] + " " + i["answer"] for i in ITEMS] * 10 + ["system user assistant You are a helpful"] * 5
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=SPECIALS, show_progress=False,
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    check([tok.token_to_id(s) for s in SPECIALS] == list(range(len(SPECIALS))), "(the special tokens take ids 0..6)")
    folder = os.path.join(root, f"score-{kind}")
    model = tiny(kind)
    model.save_pretrained(folder)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    with open(TEMPLATE_FILE) as f:
        template = f.read()
    images = Qwen2VLImageProcessorPil(patch_size=PATCH, merge_size=MERGE, temporal_patch_size=TEMPORAL,
                                      size={"shortest_edge": 16 * 16, "longest_edge": 48 * 48})
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor
    videos = Qwen2VLVideoProcessor(patch_size=PATCH, merge_size=MERGE, temporal_patch_size=TEMPORAL)
    processor = Qwen2VLProcessor(image_processor=images, tokenizer=fast, video_processor=videos,
                                 chat_template=template)
    processor.save_pretrained(folder)
    g = torch.Generator().manual_seed(3)
    pictures = []
    for i, (w, h) in enumerate([(45, 31), (20, 70)]):  # not multiples of 8; one scaled up to min_pixels
        y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        base = torch.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], -1)
        noise = torch.randint(0, 40, (h, w, 3), generator=g)
        path = os.path.join(folder, f"face{i}.png")
        Image.fromarray((base + noise).clamp(0, 255).to(torch.uint8).numpy()).save(path)
        pictures.append(path)
    items = os.path.join(folder, "items.jsonl")
    with open(items, "w") as f:
        for item, picture in zip(ITEMS, pictures):
            f.write(json.dumps({**item, "image": os.path.basename(picture)}) + "\n")
        f.write(json.dumps(ITEMS[1]) + "\n")  # a question without an image
    return model, processor, items, pictures


def compare_score(root, kind):
    from PIL import Image
    model, processor, items, pictures = score_folder(root, kind)
    folder = os.path.dirname(items)
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", items, "--format", "json",
                          "--max-new-tokens", str(NEW_TOKENS)], capture_output=True, text=True)
    if run.returncode != 0:
        check(False, f"{kind}: clear-sweep score runs on the processor's folder ({run.stderr.strip()[-400:]})")
        return
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    eos = processor.tokenizer.convert_tokens_to_ids("<|im_end|>")
    for n, ours in enumerate(lines):
        item = ITEMS[n] if n < 2 else ITEMS[1]
        content = ([{"type": "image", "image": Image.open(pictures[n])}] if n < 2 else []) + \
            [{"type": "text", "text": item["question"]}]
        asked = [{"role": "user", "content": content}]
        whole = asked + [{"role": "assistant", "content": [{"type": "text", "text": item["answer"]}]}]
        prompt = processor.apply_chat_template(asked, add_generation_prompt=True, tokenize=True, return_dict=True,
                                               return_tensors="pt")
        full = processor.apply_chat_template(whole, tokenize=True, return_dict=True, return_tensors="pt")
        start = prompt["input_ids"].shape[1]
        label = f"{kind}, item {n} ({'image' if n < 2 else 'text only'})"
        check(ours["input_ids"] == full["input_ids"][0].tolist() and ours["answer_start"] == start,
              f"{label}: score's ids are the processor's apply_chat_template ({len(ours['input_ids'])} tokens, "
              f"{full['input_ids'][0].tolist().count(IMAGE)} of them the image's)")
        def answer_nll(pixel_values):
            extra = {}
            if pixel_values is not None:
                extra = {"pixel_values": pixel_values, "image_grid_thw": full["image_grid_thw"],
                         "mm_token_type_ids": (full["input_ids"] == IMAGE).int()}
            with torch.no_grad():
                logp = torch.log_softmax(model(input_ids=full["input_ids"], **extra).logits[0].double(), -1)
            ids = full["input_ids"][0]
            return [-logp[t - 1, ids[t]].item() for t in range(start, len(ids))]

        nll = answer_nll(full["pixel_values"] if n < 2 else None)
        diff = max(abs(a - b) for a, b in zip(ours["nll_per_token"], nll))
        tolerance = IMAGE_TOLERANCE if n < 2 else TOLERANCE
        check(len(ours["nll_per_token"]) == len(nll) and diff < tolerance,
              f"{label}: score's NLL per answer token within {tolerance} on the processor's pixels "
              f"(max |diff| {diff:.1e})")
        if n < 2:
            mine = processor_pixels(IMAGE_DUMP, processor, pictures[n])
            check(mine.shape == full["pixel_values"].shape, f"{label}: (our patches have the processor's shape)")
            diff = max(abs(a - b) for a, b in zip(ours["nll_per_token"], answer_nll(mine)))
            check(diff < TOLERANCE, f"{label}: score's NLL per answer token within {TOLERANCE} on clear-sweep's "
                                    f"own pixels (max |diff| {diff:.1e})")
        extra = {}
        if n < 2:
            extra = {"pixel_values": prompt["pixel_values"], "image_grid_thw": prompt["image_grid_thw"],
                     "mm_token_type_ids": (prompt["input_ids"] == IMAGE).int()}
        with torch.no_grad():
            generated = model.generate(input_ids=prompt["input_ids"], attention_mask=prompt["attention_mask"], **extra,
                                       max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                                       eos_token_id=None, pad_token_id=0, suppress_tokens=[IMAGE])[0, start:].tolist()
        want = generated[:generated.index(eos)] if eos in generated else generated
        check(ours["generation_ids"] == want, f"{label}: score's greedy tokens ({ours['generation_ids']} vs {want})")


def main():
    with tempfile.TemporaryDirectory() as root:
        run_variants(root)
        run_errors(root)
        for kind in ("qwen2_vl", "qwen2_5_vl"):
            compare_score(root, kind)
    finish()


if __name__ == "__main__":
    main()
