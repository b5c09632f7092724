"""clear-sweep's model against transformers' LlavaForConditionalGeneration (issue 15).

Tiny random LLaVA models in several shapes (vision feature layer -2 / -1 / 1, "default"
and "full" selection, grouped-query and plain heads, tied and untied LM heads, other
rms_norm_eps and rope_theta), saved with save_pretrained and rewritten into each of
transformers' weight layouts and into a defaults-left-out config.json. For each, the
same inputs go through transformers and through clear-sweep (tests/model/hf_forward_dump):
logits must agree within 1e-4 and every decoder layer's hidden states too; a config
clear-sweep cannot represent must fail naming its key.

usage: test_hf_parity.py HF_FORWARD_DUMP"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_reference import (check, finish, image_features, minimal_config, rename_weights, require,  # noqa: E402
                          tiny_llava)

require("torch", "transformers", "safetensors")
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

DUMP = sys.argv[1]
TOLERANCE = 1e-4


def inputs_for(model):
    """Three rows: an image first, an image mid-text, text only with right padding."""
    n = image_features(model)
    img = model.config.image_token_index
    g = torch.Generator().manual_seed(5)
    text = lambda k: torch.randint(3, 300, (k,), generator=g).tolist()  # noqa: E731
    rows = [[1] + [img] * n + text(9), [1] + text(4) + [img] * n + text(5), [1] + text(8)]
    length = max(len(r) for r in rows)
    ids = torch.zeros(3, length, dtype=torch.long)
    mask = torch.zeros(3, length, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    size = model.config.vision_config.image_size
    pixels = torch.randn(2, 3, size, size, generator=g)
    return {"input_ids": ids, "attention_mask": mask, "pixel_values": pixels}


def compare(name, model, folder):
    inputs = inputs_for(model)
    with torch.no_grad():
        ref = model(**inputs, output_hidden_states=True)
    with tempfile.TemporaryDirectory() as tmp:
        save_file(inputs, os.path.join(tmp, "in.safetensors"))
        run = subprocess.run([DUMP, folder, os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")],
                             capture_output=True, text=True)
        if run.returncode != 0:
            check(False, f"{name}: clear-sweep loads the folder ({run.stderr.strip()})")
            return
        ours = load_file(os.path.join(tmp, "out.safetensors"))
    real = inputs["attention_mask"].bool()  # padding positions are nobody's output
    diff = (ours["logits"] - ref.logits)[real].abs().max().item()
    check(diff < TOLERANCE, f"{name}: logits within {TOLERANCE} (max |diff| {diff:.2e})")
    layers = model.config.text_config.num_hidden_layers
    hidden = ref.hidden_states  # embeddings, then each layer's output (the last one normed)
    check(len(hidden) == layers + 1, f"{name}: transformers gives {layers} + 1 hidden states")
    norm = model.model.language_model.norm
    worst = 0.0
    for i in range(layers):
        mine = ours[f"hidden.{i}"]
        if i == layers - 1:
            with torch.no_grad():
                mine = norm(mine)
        worst = max(worst, (mine - hidden[i + 1])[real].abs().max().item())
    check(worst < TOLERANCE, f"{name}: every decoder layer's hidden states within {TOLERANCE} (max |diff| {worst:.2e})")


def expect_error(name, folder, key):
    """clear-sweep refuses the folder, naming `key`."""
    with tempfile.TemporaryDirectory() as tmp:
        model = tiny_llava()
        save_file(inputs_for(model), os.path.join(tmp, "in.safetensors"))
        run = subprocess.run([DUMP, folder, os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")],
                             capture_output=True, text=True)
    check(run.returncode != 0 and key in run.stderr, f"{name}: refused naming {key} ({run.stderr.strip()[:160]})")


def main():
    run_variants()
    finish()


VARIANTS = {
    "layer -2, default, GQA 4/2, untied": {},
    "layer -1, full, plain heads, tied, theta 1e6": dict(feature_layer=-1, strategy="full", heads=4, kv_heads=4,
                                                        tied=True, rope_theta=1e6),
    "layer 1, default, GQA 8/2, eps 1e-5, theta 5e5": dict(feature_layer=1, heads=8, kv_heads=2, rms_norm_eps=1e-5,
                                                          rope_theta=500000.0),
    "layer -2, full, GQA 4/1, tied, eps 1e-5": dict(strategy="full", kv_heads=1, tied=True, rms_norm_eps=1e-5, seed=3),
}

def run_variants():
    with tempfile.TemporaryDirectory() as root:
        for i, (name, kwargs) in enumerate(VARIANTS.items()):
            model = tiny_llava(**kwargs)
            folder = os.path.join(root, f"m{i}")
            model.save_pretrained(folder)
            compare(f"{name} (saved by transformers 5)", model, folder)
            if i < 2:
                for scheme in ("hub", "v4.52"):
                    rename_weights(folder, scheme)
                    compare(f"{name} ({scheme} weight names)", model, folder)
                minimal_config(folder)
                compare(f"{name} (config.json with defaults left out)", model, folder)

        # Settings the model does not implement: refused, naming the key.
        folder = os.path.join(root, "bad")
        tiny_llava().save_pretrained(folder)
        with open(os.path.join(folder, "config.json")) as f:
            good = json.load(f)
        for key_path, value, key in [
            (("text_config", "attention_bias"), True, "text_config.attention_bias"),
            (("text_config", "rope_scaling"), {"rope_type": "linear", "factor": 2.0}, "text_config.rope_scaling"),
            (("vision_feature_layer",), [-2, -5], "vision_feature_layer"),
            (("vision_feature_select_strategy",), "cls", "vision_feature_select_strategy"),
            (("text_config", "hidden_act"), "gelu", "text_config.hidden_act"),
            (("vision_config", "hidden_act"), "gelu", "vision_config.hidden_act"),
            (("text_config", "head_dim"), 32, "text_config.head_dim"),
            (("model_type",), "paligemma", "model_type"),
        ]:
            config = json.loads(json.dumps(good))
            target = config
            for part in key_path[:-1]:
                target = target[part]
            target[key_path[-1]] = value
            with open(os.path.join(folder, "config.json"), "w") as f:
                json.dump(config, f)
            expect_error(f"{'.'.join(key_path)} = {json.dumps(value)}", folder, key)


if __name__ == "__main__":
    main()
