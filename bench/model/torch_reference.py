#!/usr/bin/python3
"""The same VLM and training step as clear-sweep's C++ (src/model/), written as idiomatic
PyTorch in Python: the peer that bench/model/run_bench.py measures it against. Reads the
model shape from a config.json that train_bench writes (Hugging Face LLaVA keys).

    torch_reference.py train    CONFIG BATCH SEQ STEPS THREADS
    torch_reference.py generate CONFIG BATCH PROMPT NEW THREADS
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LoRALinear(nn.Linear):
    def __init__(self, n_in, n_out, bias):
        super().__init__(n_in, n_out, bias=bias)
        self.lora_A = None
        self.lora_B = None
        self.scale = 0.0

    def attach(self, rank, alpha):
        self.lora_A = nn.Parameter(torch.empty(rank, self.in_features))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(self.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        y = super().forward(x)
        if self.lora_A is not None:
            y = y + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scale
        return y


def attend(q, k, v, allowed, causal=False):
    """PyTorch's fused attention, as an idiomatic model today calls it (the C++ does too):
    a boolean mask where one is needed, is_causal where the mask is plain causal."""
    return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, is_causal=causal,
                                          enable_gqa=q.shape[1] != k.shape[1])


class ClipLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.layer_norm1 = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.layer_norm2 = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.q, self.k, self.v, self.o = (LoRALinear(d, d, True) for _ in range(4))
        self.fc1 = LoRALinear(d, c["intermediate_size"], True)
        self.fc2 = LoRALinear(c["intermediate_size"], d, True)

    def forward(self, x):
        n, t, d = x.shape
        h = self.layer_norm1(x)
        split = lambda y: y.view(n, t, self.heads, d // self.heads).transpose(1, 2)
        a = attend(split(self.q(h)), split(self.k(h)), split(self.v(h)), None)
        x = x + self.o(a.transpose(1, 2).reshape(n, t, d))
        h = self.fc1(self.layer_norm2(x))
        return x + self.fc2(h * torch.sigmoid(1.702 * h))


class VisionTower(nn.Module):
    def __init__(self, c, select_layer):
        super().__init__()
        d, p = c["hidden_size"], c["patch_size"]
        patches = (c["image_size"] // p) ** 2
        self.class_embedding = nn.Parameter(torch.randn(d) * 0.02)
        self.patch_embedding = nn.Conv2d(3, d, p, stride=p, bias=False)
        self.position_embedding = nn.Embedding(patches + 1, d)
        self.pre_layrnorm = nn.LayerNorm(d, eps=c["layer_norm_eps"])
        self.layers = nn.ModuleList(ClipLayer(c) for _ in range(c["num_hidden_layers"]))
        n = c["num_hidden_layers"]
        self.used = n + 1 + select_layer if select_layer < 0 else select_layer

    def forward(self, pixels):
        x = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(x.shape[0], 1, -1), x], 1) + self.position_embedding.weight
        x = self.pre_layrnorm(x)
        for layer in self.layers[: self.used]:
            x = layer(x)
        return x[:, 1:]


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        return self.weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


def rope(positions, dim, theta):
    inv = theta ** (-torch.arange(0, dim, 2, dtype=torch.float) / dim)
    freqs = positions.float()[..., None] * inv
    emb = torch.cat([freqs, freqs], -1)[:, None]
    return emb.cos(), emb.sin()


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin


class LlamaLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.h, self.kv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.hd = d // self.h
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.q_proj = LoRALinear(d, self.h * self.hd, False)
        self.k_proj = LoRALinear(d, self.kv * self.hd, False)
        self.v_proj = LoRALinear(d, self.kv * self.hd, False)
        self.o_proj = LoRALinear(self.h * self.hd, d, False)
        self.gate_proj = LoRALinear(d, c["intermediate_size"], False)
        self.up_proj = LoRALinear(d, c["intermediate_size"], False)
        self.down_proj = LoRALinear(c["intermediate_size"], d, False)

    def forward(self, x, cos, sin, allowed, cache):
        b, t, _ = x.shape
        h = self.input_layernorm(x)
        q = rotate(self.q_proj(h).view(b, t, self.h, self.hd).transpose(1, 2), cos, sin)
        k = rotate(self.k_proj(h).view(b, t, self.kv, self.hd).transpose(1, 2), cos, sin)
        v = self.v_proj(h).view(b, t, self.kv, self.hd).transpose(1, 2)
        if cache is not None:
            if cache.get(self) is not None:
                k = torch.cat([cache[self][0], k], 2)
                v = torch.cat([cache[self][1], v], 2)
            cache[self] = (k, v)
        a = attend(q, k, v, allowed, causal=allowed is None)
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, t, -1))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Vlm(nn.Module):
    def __init__(self, config):
        super().__init__()
        t, v = config["text_config"], config["vision_config"]
        self.t = t
        self.image_token = config["image_token_index"]
        self.vision = VisionTower(v, config["vision_feature_layer"])
        self.linear_1 = LoRALinear(v["hidden_size"], t["hidden_size"], True)
        self.linear_2 = LoRALinear(t["hidden_size"], t["hidden_size"], True)
        self.embed_tokens = nn.Embedding(t["vocab_size"], t["hidden_size"])
        self.layers = nn.ModuleList(LlamaLayer(t) for _ in range(t["num_hidden_layers"]))
        self.norm = RMSNorm(t["hidden_size"], t["rms_norm_eps"])
        self.lm_head = LoRALinear(t["hidden_size"], t["vocab_size"], False)

    def attach_lora(self, rank, alpha):
        for p in self.parameters():
            p.requires_grad_(False)
        for layer in self.layers:
            for m in layer.modules():
                if isinstance(m, LoRALinear):
                    m.attach(rank, alpha)
        return [p for n, p in self.named_parameters() if "lora_" in n]

    def forward(self, ids, mask, positions, images, cache=None):
        is_image = ids == self.image_token
        x = self.embed_tokens(ids.masked_fill(is_image, 0))
        if images is not None:
            feats = self.linear_2(F.gelu(self.linear_1(self.vision(images))))
            x = x.masked_scatter(is_image[..., None], feats.reshape(-1, feats.shape[-1]))
        past = cache["length"] if cache is not None else 0
        key_mask = mask if cache is None or cache.get("mask") is None else torch.cat([cache["mask"], mask], 1)
        if cache is not None:
            cache["mask"] = key_mask
            cache["length"] = key_mask.shape[1]
        t = ids.shape[1]
        if past == 0 and bool(key_mask.all()):
            allowed = None  # plain causal: SDPA's is_causal, no mask tensor
        else:
            causal = torch.arange(past + t)[None] <= torch.arange(past, past + t)[:, None]
            allowed = causal[None, None] & key_mask[:, None, None, :]
        cos, sin = rope(positions, self.t["hidden_size"] // self.t["num_attention_heads"], self.t["rope_theta"])
        for layer in self.layers:
            x = layer(x, cos, sin, allowed, cache)
        return self.lm_head(self.norm(x))


def random_batch(config, batch, seq, labels):
    t, v = config["text_config"], config["vision_config"]
    ids = torch.randint(10, t["vocab_size"], (batch, seq))
    ids[:, 0] = 1
    patches = (v["image_size"] // v["patch_size"]) ** 2
    rows = list(range(0, batch, 2))
    for r in rows:
        ids[r, 1:1 + patches] = config["image_token_index"]
    mask = torch.ones(batch, seq, dtype=torch.bool)
    positions = torch.arange(seq).repeat(batch, 1)
    lab = None
    if labels:
        lab = torch.full((batch, seq), -100)
        lab[:, seq // 2:] = ids[:, seq // 2:]
    images = torch.randn(len(rows), 3, v["image_size"], v["image_size"])
    return ids, mask, positions, lab, images


def main():
    mode, config_path = sys.argv[1], sys.argv[2]
    batch, seq, steps, threads = (int(a) for a in sys.argv[3:7])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = json.load(open(config_path))
    model = Vlm(config)
    if mode == "train":
        params = model.attach_lora(8, 32.0)
        model.train()
        optimizer = torch.optim.AdamW(params, lr=1e-4)
        ids, mask, positions, labels, images = random_batch(config, batch, seq, True)

        def step():
            optimizer.zero_grad()
            logits = model(ids, mask, positions, images)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels[:, 1:].reshape(-1),
                                   ignore_index=-100)
            loss.backward()
            optimizer.step()

        for _ in range(2):
            step()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        s = time.perf_counter() - start
        print(json.dumps({"impl": "python", "mode": "train", "batch": batch, "seq": seq, "threads": threads,
                          "steps": steps, "seconds": s, "tokens_per_s": batch * seq * steps / s}))
    else:
        model.eval()
        ids, mask, positions, _, images = random_batch(config, batch, seq, False)
        for use_cache in (True, False):
            with torch.no_grad():
                start = time.perf_counter()
                cache = {"length": 0} if use_cache else None
                step_ids, step_mask, step_pos, step_images = ids, mask, positions, images
                all_ids, all_mask, all_pos = ids, mask, positions
                nxt_pos = positions.max(1).values + 1
                for _ in range(steps):
                    if use_cache:
                        logits = model(step_ids, step_mask, step_pos, step_images, cache)
                    else:
                        logits = model(all_ids, all_mask, all_pos, images)
                    nxt = logits[:, -1].argmax(-1, keepdim=True)
                    step_ids, step_mask, step_pos, step_images = nxt, torch.ones_like(nxt, dtype=torch.bool), \
                        nxt_pos[:, None], None
                    all_ids = torch.cat([all_ids, nxt], 1)
                    all_mask = torch.cat([all_mask, step_mask], 1)
                    all_pos = torch.cat([all_pos, step_pos], 1)
                    nxt_pos = nxt_pos + 1
                s = time.perf_counter() - start
            print(json.dumps({"impl": "python", "mode": "generate", "cache": use_cache, "batch": batch, "prompt": seq,
                              "new_tokens": steps, "threads": threads, "seconds": s,
                              "tokens_per_s": batch * steps / s}))


if __name__ == "__main__":
    main()
