"""Shared helpers of the reference tests (issue 15): the reference packages, tiny random
LLaVA models built with transformers (no download), and their weight-naming schemes.

A test imports `require()` first: where transformers or its companions are missing it
prints why and exits 77, which ctest reports as skipped."""
import json
import os
import sys

SKIP = 77


def require(*modules):
    missing = []
    for name in modules:
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed (REFERENCE=1 scripts/setup.sh puts them in .venv)")
        sys.exit(SKIP)


def llama_sentencepiece(folder, corpus, character_coverage=1.0):
    """A SentencePiece tokenizer trained on `corpus` with Llama's settings (BPE, byte
    fallback, dummy prefix, split digits, no normalisation; unk 0, BOS 1, EOS 2, no pad)
    into folder/tokenizer.model, and transformers' LlamaTokenizer on it (legacy=False)
    with llava-hf's added tokens: <image> (id 400 for a 400-piece model) then <pad>."""
    import sentencepiece as spm
    from transformers import AddedToken, LlamaTokenizer
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_prefix=os.path.join(folder, "tokenizer"), vocab_size=400,
        model_type="bpe", byte_fallback=True, split_digits=True, add_dummy_prefix=True,
        remove_extra_whitespaces=False, normalization_rule_name="identity", allow_whitespace_only_pieces=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, character_coverage=character_coverage, minloglevel=2)
    os.remove(os.path.join(folder, "tokenizer.vocab"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "LlamaTokenizer", "legacy": False, "add_bos_token": True,
                   "add_eos_token": False}, f)
    tokenizer = LlamaTokenizer.from_pretrained(folder)
    tokenizer.add_tokens([AddedToken("<image>", special=True, normalized=False)], special_tokens=True)
    tokenizer.add_special_tokens({"pad_token": "<pad>"})
    return tokenizer


def tiny_llava(seed=0, *, feature_layer=-2, strategy="default", heads=4, kv_heads=2, tied=False,
               rms_norm_eps=1e-6, rope_theta=10000.0, vocab=320, image_token=319, image_size=32, patch=8):
    """A random LlavaForConditionalGeneration small enough for a CPU test."""
    import torch
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration

    vision = CLIPVisionConfig(image_size=image_size, patch_size=patch, hidden_size=32, num_hidden_layers=3,
                              num_attention_heads=4, intermediate_size=64, projection_dim=16)
    text = LlamaConfig(vocab_size=vocab, hidden_size=64, num_hidden_layers=3, num_attention_heads=heads,
                       num_key_value_heads=kv_heads, intermediate_size=96, rms_norm_eps=rms_norm_eps,
                       rope_parameters={"rope_type": "default", "rope_theta": rope_theta},
                       tie_word_embeddings=tied, max_position_embeddings=512)
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=image_token,
                         vision_feature_layer=feature_layer, vision_feature_select_strategy=strategy,
                         tie_word_embeddings=tied)
    torch.manual_seed(seed)
    return randomize_weights(LlavaForConditionalGeneration(config).eval(), tied)


def image_features(model):
    """Placeholder tokens per image."""
    v = model.config.vision_config
    n = (v.image_size // v.patch_size) ** 2
    return n + (1 if model.config.vision_feature_select_strategy == "full" else 0)


def rename_weights(folder, scheme):
    """Rewrites a saved folder's model.safetensors into one of transformers' layouts:
    'hub' (the llava-hf repositories, transformers < 4.52: vision_tower.vision_model.*,
    language_model.model.*, language_model.lm_head.*) or 'v4.52' (model.language_model.*,
    model.vision_tower.vision_model.*, model.multi_modal_projector.*, lm_head.*)."""
    from safetensors.torch import load_file, save_file

    path = os.path.join(folder, "model.safetensors")
    tensors = load_file(path)
    out = {}
    for name, t in tensors.items():
        if name.startswith("vision_tower.") and not name.startswith("vision_tower.vision_model."):
            name = "vision_tower.vision_model." + name[len("vision_tower."):]
        if name.startswith("model.language_model."):  # any 4.52-style name back to the hub's first
            name = "language_model.model." + name[len("model.language_model."):]
        if scheme == "v4.52":
            if name.startswith("language_model.model."):
                name = "model.language_model." + name[len("language_model.model."):]
            elif name.startswith("language_model.lm_head."):
                name = name[len("language_model."):]
            elif name.startswith(("vision_tower.", "multi_modal_projector.")):
                name = "model." + name
        out[name] = t.contiguous()
    save_file(out, path, metadata={"format": "pt"})
    return sorted(out)


def minimal_config(folder):
    """Rewrites config.json as transformers 4.x wrote it: every key equal to its config
    class's default left out (the defaults read from transformers itself), and
    rope_theta instead of 5.x's rope_parameters."""
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig

    path = os.path.join(folder, "config.json")
    with open(path) as f:
        full = json.load(f)

    def strip(values, defaults):
        return {k: v for k, v in values.items() if k == "model_type" or k not in defaults or defaults[k] != v}

    llama = LlamaConfig()
    out = strip({k: v for k, v in full.items() if not k.endswith("_config")}, LlavaConfig().to_dict())
    out["vision_config"] = strip(full["vision_config"], CLIPVisionConfig().to_dict())
    text = dict(full["text_config"])
    theta = text.pop("rope_parameters")["rope_theta"]
    out["text_config"] = strip(text, llama.to_dict())
    if theta != llama.rope_parameters["rope_theta"]:
        out["text_config"]["rope_theta"] = theta
    with open(path, "w") as f:
        json.dump(out, f, indent=2)


def run_dump(dump, folder, inputs, *flags):
    """tests/model/hf_forward_dump on `inputs` (name -> tensor): its outputs (name ->
    tensor) and "", or None and its stderr."""
    import subprocess
    import tempfile
    from safetensors.torch import load_file, save_file
    with tempfile.TemporaryDirectory() as tmp:
        save_file(inputs, os.path.join(tmp, "in.safetensors"))
        run = subprocess.run([dump, folder, os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors"),
                              *flags], capture_output=True, text=True)
        if run.returncode != 0:
            return None, run.stderr.strip()
        return load_file(os.path.join(tmp, "out.safetensors")), ""


def processor_pixels(image_dump, processor, picture):
    """clear-sweep's model input for `picture` under a transformers processor's image
    settings (tests/data/image_preprocess_dump on its saved preprocessor_config.json)."""
    import subprocess
    import tempfile
    import numpy as np
    import torch
    with tempfile.TemporaryDirectory() as tmp:
        processor.image_processor.save_pretrained(tmp)
        run = subprocess.run([image_dump, os.path.join(tmp, "preprocessor_config.json"), picture,
                              os.path.join(tmp, "out")], capture_output=True, text=True, check=True)
        shape = json.loads(run.stdout)["shape"]
        return torch.from_numpy(np.fromfile(os.path.join(tmp, "out.f32"), dtype=np.float32).reshape(shape))


def check_forward(name, ours, ref, real, norm, tolerance):
    """clear-sweep's logits and decoder layers (hf_forward_dump's) against transformers'
    output with hidden states, on the real (unpadded) positions; transformers' last
    hidden state is after the final norm, `norm`."""
    import torch
    diff = (ours["logits"] - ref.logits)[real].abs().max().item()
    check(diff < tolerance, f"{name}: logits within {tolerance} (max |diff| {diff:.2e})")
    layers = len(ref.hidden_states) - 1
    worst = 0.0
    for i in range(layers):
        mine = ours[f"hidden.{i}"]
        if i == layers - 1:
            with torch.no_grad():
                mine = norm(mine)
        worst = max(worst, (mine - ref.hidden_states[i + 1])[real].abs().max().item())
    check(worst < tolerance, f"{name}: every decoder layer's hidden states within {tolerance} (max |diff| {worst:.2e})")


def check_lora_both_ways(name, dump, folder, make_model, ours_in, ref_in, targets, tolerance, vision):
    """LoRA adapters both ways on a tiny VLM: PEFT's (r 8, alpha 32, random A and B on
    `targets`) loaded by clear-sweep (hf_forward_dump --adapter), and clear-sweep's on
    every linear layer (--random-adapter-all) loaded by PeftModel; logits on the real
    positions within `tolerance` both ways. `make_model()` builds a fresh copy of the
    reference model; `vision(name)` picks the vision-side targets PEFT must have got.
    Returns the target_modules of clear-sweep's adapter (None where it saved none)."""
    import tempfile
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    real = ours_in["attention_mask"].bool()
    torch.manual_seed(1)
    peft_model = get_peft_model(make_model(), LoraConfig(r=8, lora_alpha=32, lora_dropout=0.0,
                                                         target_modules=targets, init_lora_weights=False)).eval()
    vision_targets = [n for n, m in peft_model.named_modules() if hasattr(m, "lora_A") and vision(n)]
    with tempfile.TemporaryDirectory() as tmp:
        adapter = os.path.join(tmp, "from_peft")
        peft_model.save_pretrained(adapter)
        with torch.no_grad():
            expected = peft_model(**ref_in).logits
        ours, error = run_dump(dump, folder, ours_in, "--adapter", adapter)
        if ours is None:
            check(False, f"{name}: clear-sweep loads PEFT's adapter with vision targets ({error})")
        else:
            diff = (ours["logits"] - expected)[real].abs().max().item()
            check(diff < tolerance and len(vision_targets) > 0,
                  f"{name}: PEFT -> clear-sweep with {len(vision_targets)} vision-side targets, logits within "
                  f"{tolerance} (max |diff| {diff:.1e})")
        export = os.path.join(tmp, "from_clear_sweep")
        ours, error = run_dump(dump, folder, ours_in, "--random-adapter-all", export)
        if ours is None:
            check(False, f"{name}: clear-sweep saves an adapter on every linear layer ({error})")
            return None
        with open(os.path.join(export, "adapter_config.json")) as f:
            saved = json.load(f)["target_modules"]
        loaded = PeftModel.from_pretrained(make_model(), export).eval()
        with torch.no_grad():
            reference = loaded(**ref_in).logits
        diff = (ours["logits"] - reference)[real].abs().max().item()
        check(diff < tolerance, f"{name}: clear-sweep -> PEFT on every linear layer ({len(saved)} targets), "
                                f"PeftModel reproduces the logits (max |diff| {diff:.1e})")
        return saved


def randomize_weights(model, tied, scale=0.05, norm_names=("norm",)):
    """Every parameter drawn anew (transformers initialises norms and biases to constants,
    which would hide a swapped or ignored tensor): vectors N(0, 0.3), matrices N(0, scale),
    norms' weights around 1; the tied head re-tied."""
    import torch
    with torch.no_grad():
        for name, p in model.named_parameters():
            around_one = 1.0 if any(n in name for n in norm_names) else 0.0
            p.copy_(torch.randn_like(p) * (0.3 if p.dim() == 1 else scale) + around_one)
    if tied:
        model.tie_weights()
    return model


def check_refusals(dump, folder, inputs, cases):
    """Each (key path, value, key) of `cases` written into folder/config.json in turn:
    clear-sweep refuses the folder naming `key`. The config is restored after."""
    path = os.path.join(folder, "config.json")
    with open(path) as f:
        good = json.load(f)
    for key_path, value, key in cases:
        config = json.loads(json.dumps(good))
        target = config
        for part in key_path[:-1]:
            target = target[part]
        target[key_path[-1]] = value
        with open(path, "w") as f:
            json.dump(config, f)
        ours, error = run_dump(dump, folder, inputs)
        check(ours is None and key in error,
              f"{'.'.join(key_path)} = {json.dumps(value)}: refused naming {key} ({error[:160]})")
    with open(path, "w") as f:
        json.dump(good, f)


FAILURES = []


def check(condition, message):
    """One line per check, as ctest's log shows them; failures are counted for finish()."""
    print(("ok    " if condition else "FAIL  ") + message)
    if not condition:
        FAILURES.append(message)


def finish():
    """Exit 1 if any check failed."""
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        sys.exit(1)
    print("all checks passed")
