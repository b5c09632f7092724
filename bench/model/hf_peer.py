#!/usr/bin/python3
"""The peers of gpu_bench on a GPU (issue 36's goals are ratios to these, measured in the
same run): transformers' LlavaForConditionalGeneration with llava-1.5-7b's shape and
random weights in bf16, generating greedily with generate() eagerly (its dynamic cache)
and with its static cache, and a PEFT LoRA step (r 8, alpha 32, every decoder linear,
bf16 autocast, fused AdamW) on the same rows gpu_bench trains. One JSON line each.

    hf_peer.py generate SHAPE BATCH TEXT_TOKENS NEW DEVICE
    hf_peer.py train    SHAPE BATCH TEXT_TOKENS STEPS DEVICE

SHAPE: llava-1.5-7b, or tiny (a CPU smoke test of the same code). Rows as gpu_bench's: BOS,
576 image placeholders (the tiny shape: its own count), TEXT_TOKENS - 1 text tokens, the
last half of them the answer. A decoding step is timed apart from the prompt's pass
(a one-token generate()). Exits 77 where transformers or peft is not importable.
"""
import json
import sys
import time

try:
    import torch
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration
except ImportError as e:  # a GPU machine without the reference packages
    print(f"hf_peer: {e}: skipped", file=sys.stderr)
    sys.exit(77)


def llava_config(shape):
    if shape == "llava-1.5-7b":  # liuhaotian/llava-v1.5-7b as llava-hf writes it
        vision = CLIPVisionConfig(image_size=336, patch_size=14, hidden_size=1024, num_hidden_layers=24,
                                  num_attention_heads=16, intermediate_size=4096, projection_dim=768)
        text = LlamaConfig(vocab_size=32064, hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                           num_key_value_heads=32, intermediate_size=11008, rms_norm_eps=1e-5,
                           max_position_embeddings=4096)
        return LlavaConfig(vision_config=vision, text_config=text, image_token_index=32000,
                           vision_feature_layer=-2, pad_token_id=32001)
    if shape == "tiny":
        vision = CLIPVisionConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=4, intermediate_size=64, projection_dim=16)
        text = LlamaConfig(vocab_size=320, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2, intermediate_size=96, max_position_embeddings=1024)
        return LlavaConfig(vision_config=vision, text_config=text, image_token_index=319, pad_token_id=318)
    raise SystemExit(f"hf_peer: unknown shape {shape!r} (llava-1.5-7b or tiny)")


def build(shape, device):
    config = llava_config(shape)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # drawn in the run's dtype on the device: no float32 copy of 7B
    with device:
        model = LlavaForConditionalGeneration(config)
    torch.set_default_dtype(previous)
    return model, config, dtype


def rows(config, batch, text_tokens, device):
    v = config.vision_config
    image_tokens = (v.image_size // v.patch_size) ** 2
    seq = 1 + image_tokens + text_tokens - 1
    vocab = min(config.text_config.vocab_size, 32000)
    ids = torch.randint(10, min(vocab, config.image_token_index) , (batch, seq), device=device)
    ids[:, 0] = 1
    ids[:, 1:1 + image_tokens] = config.image_token_index
    labels = torch.full_like(ids, -100)
    answer = text_tokens // 2
    labels[:, -answer:] = ids[:, -answer:]
    pixels = torch.randn(batch, 3, v.image_size, v.image_size, device=device)
    return ids, torch.ones_like(ids), pixels, labels


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def generate(shape, batch, text_tokens, new, device):
    model, config, dtype = build(shape, device)
    model.eval()
    ids, mask, pixels, _ = rows(config, batch, text_tokens, device)
    pixels = pixels.to(dtype)
    out = {"mode": "generate", "peer": "transformers", "shape": shape, "device": str(device), "batch": batch,
           "prompt": ids.shape[1], "new_tokens": new}
    for name, extra in (("eager", {}), ("static_cache", {"cache_implementation": "static"})):
        def run(tokens):
            sync(device)
            start = time.perf_counter()
            with torch.inference_mode():
                result = model.generate(input_ids=ids, attention_mask=mask, pixel_values=pixels, do_sample=False,
                                        max_new_tokens=tokens, min_new_tokens=tokens, **extra)
            sync(device)
            assert result.shape[1] == ids.shape[1] + tokens
            return time.perf_counter() - start
        run(2)  # warm-up
        prompt_s = run(1)
        all_s = run(new)
        step = (all_s - prompt_s) / max(1, new - 1)
        out[f"{name}_seconds"] = round(all_s, 4)
        out[f"{name}_decode_step_seconds"] = round(step, 6)
        out[f"{name}_decode_tokens_per_s"] = round(batch / step, 1)
    print(json.dumps(out), flush=True)


def train(shape, batch, text_tokens, steps, device):
    from peft import LoraConfig, get_peft_model

    model, config, dtype = build(shape, device)
    targets = r"model\.language_model\.layers\.\d+\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)"
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=32, lora_dropout=0.0, target_modules=targets))
    model.train()
    ids, mask, pixels, labels = rows(config, batch, text_tokens, device)
    pixels = pixels.to(dtype)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-5, fused=device.type == "cuda")

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            loss = model(input_ids=ids, attention_mask=mask, pixel_values=pixels, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for _ in range(3):
        step()  # warm-up
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    s = (time.perf_counter() - start) / steps
    print(json.dumps({"mode": "train", "peer": "peft", "shape": shape, "device": str(device), "batch": batch,
                      "seq": ids.shape[1], "steps": steps, "step_seconds": round(s, 4),
                      "tokens_per_s": round(batch * ids.shape[1] / s, 1),
                      "adapters": sum(p.numel() for p in params)}), flush=True)


def main(argv):
    if len(argv) != 7 or argv[1] not in ("generate", "train"):
        raise SystemExit(__doc__)
    mode, shape, batch, text, count, device = argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5]), argv[6]
    (generate if mode == "generate" else train)(shape, batch, text, count, torch.device(device))


if __name__ == "__main__":
    main(sys.argv)
