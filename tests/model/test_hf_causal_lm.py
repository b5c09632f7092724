"""clear-sweep's text-only families against transformers' LlamaForCausalLM,
MistralForCausalLM and Qwen2ForCausalLM (issue 34).

Tiny random models of each family in several configs (grouped-query ratios, tied and
untied heads, Llama's attention_bias and mlp_bias, an explicit head_dim, Llama-3's and
linear rotary scaling, Mistral's sliding window shorter than the sequence, Qwen2's
q/k/v biases), saved by transformers (one of them in shards), and for some with the
config.json's defaults left out or in transformers 4's rope_scaling form. For each, the
same batch (right padding, and a left-padded row) goes through transformers and through
clear-sweep (tests/model/hf_forward_dump): logits and every decoder layer's hidden
states within 1e-4; then greedy generation from left-padded prompts, token for token,
with the KV cache and without; `clear-sweep score` on a folder with a tokenizer.json
(ids as the tokenizers library gives them for its plain prompt, each answer token's NLL
within 1e-4, greedy tokens as transformers'); and LoRA adapters both ways with PEFT (CLEAR's q/v
targets and open-unlearning's seven projections), DoRA refused naming the key. Settings
clear-sweep does not compute are refused, naming the key.

usage: test_hf_causal_lm.py HF_FORWARD_DUMP CLEAR_SWEEP"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data"))
from hf_reference import check, finish, require, run_dump  # noqa: E402
from family_templates import CHATML, LLAMA3, MISTRAL  # noqa: E402

require("torch", "transformers", "safetensors", "peft")
import torch  # noqa: E402

DUMP = sys.argv[1]
CLEAR_SWEEP = sys.argv[2]
TOLERANCE = 1e-4
VOCAB = 300
NEW_TOKENS = 8


def tiny(family, seed=0, *, heads=4, kv_heads=2, tied=False, **extra):
    """A random model of `family` small enough for a CPU test, every tensor randomised
    (transformers initialises norms and biases to constants: a swapped one would hide)."""
    import transformers
    config_class, model_class = {
        "llama": (transformers.LlamaConfig, transformers.LlamaForCausalLM),
        "mistral": (transformers.MistralConfig, transformers.MistralForCausalLM),
        "qwen2": (transformers.Qwen2Config, transformers.Qwen2ForCausalLM),
    }[family]
    kwargs = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=96, num_hidden_layers=3,
                  num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=256,
                  tie_word_embeddings=tied, pad_token_id=None, bos_token_id=1, eos_token_id=2)
    kwargs.update(extra)
    torch.manual_seed(seed)
    model = model_class(config_class(**kwargs)).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.3 if p.dim() == 1 else 0.08) + (1.0 if "norm" in name else 0.0))
    if tied:
        model.tie_weights()
    return model


def batch():
    """Three rows of 14: full, right-padded to 9, left-padded from 5 (positions count real tokens)."""
    g = torch.Generator().manual_seed(5)
    ids = torch.randint(3, VOCAB, (3, 14), generator=g)
    mask = torch.ones(3, 14, dtype=torch.long)
    mask[1, 9:] = 0
    mask[2, :5] = 0
    ids[mask == 0] = 0
    positions = (mask.cumsum(1) - 1).clamp(min=0)
    return {"input_ids": ids, "attention_mask": mask, "position_ids": positions}


def prompts():
    """Left-padded prompts for generation: lengths 7, 4 and 10."""
    g = torch.Generator().manual_seed(9)
    ids = torch.randint(3, VOCAB, (3, 10), generator=g)
    mask = torch.ones(3, 10, dtype=torch.long)
    mask[0, :3] = 0
    mask[1, :6] = 0
    ids[mask == 0] = 0
    return {"input_ids": ids, "attention_mask": mask, "position_ids": (mask.cumsum(1) - 1).clamp(min=0)}


def dump(folder, inputs, *flags):
    return run_dump(DUMP, folder, inputs, *flags)


def compare(name, model, folder):
    inputs = batch()
    with torch.no_grad():
        ref = model(**inputs, output_hidden_states=True)
    ours, error = dump(folder, inputs)
    if ours is None:
        check(False, f"{name}: clear-sweep loads the folder ({error})")
        return
    real = inputs["attention_mask"].bool()
    diff = (ours["logits"] - ref.logits)[real].abs().max().item()
    check(diff < TOLERANCE, f"{name}: logits within {TOLERANCE} (max |diff| {diff:.2e})")
    layers = model.config.num_hidden_layers
    worst = 0.0
    for i in range(layers):
        mine = ours[f"hidden.{i}"]
        if i == layers - 1:  # transformers' last hidden state is after the final norm
            with torch.no_grad():
                mine = model.model.norm(mine)
        worst = max(worst, (mine - ref.hidden_states[i + 1])[real].abs().max().item())
    check(worst < TOLERANCE, f"{name}: every decoder layer's hidden states within {TOLERANCE} (max |diff| {worst:.2e})")


def compare_generation(name, model, folder):
    inputs = prompts()
    with torch.no_grad():
        ref = model.generate(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"],
                             max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                             eos_token_id=None, pad_token_id=0)[:, inputs["input_ids"].shape[1]:]
    ours, error = dump(folder, inputs, "--generate", str(NEW_TOKENS))
    if ours is None:
        check(False, f"{name}: clear-sweep generates ({error})")
        return
    check(torch.equal(ours["generated"], ref), f"{name}: greedy generation with the KV cache, token for token "
                                                f"({ours['generated'].tolist()} vs {ref.tolist()})")
    check(torch.equal(ours["generated_nocache"], ref), f"{name}: greedy generation without the cache, token for token")


# CLEAR's LoRA on the decoder's attention (q, v) and open-unlearning's on every projection.
TARGET_SETS = {"q/v": ["q_proj", "v_proj"],
               "all seven": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}


def compare_lora(name, family, kwargs, folder):
    from peft import LoraConfig, PeftModel, get_peft_model
    inputs = batch()
    real = inputs["attention_mask"].bool()
    with tempfile.TemporaryDirectory() as tmp:
        for targets_name, targets in TARGET_SETS.items():  # PEFT -> clear-sweep
            torch.manual_seed(1)
            peft_model = get_peft_model(tiny(family, **kwargs), LoraConfig(
                r=8, lora_alpha=32, lora_dropout=0.0, target_modules=targets, init_lora_weights=False)).eval()
            adapter = os.path.join(tmp, targets_name.replace("/", "").replace(" ", ""))
            peft_model.save_pretrained(adapter)
            with torch.no_grad():
                expected = peft_model(**inputs).logits
            ours, error = dump(folder, inputs, "--adapter", adapter)
            if ours is None:
                check(False, f"{name}: clear-sweep loads PEFT's {targets_name} adapter ({error[-200:]})")
                continue
            diff = (ours["logits"] - expected)[real].abs().max().item()
            check(diff < TOLERANCE, f"{name}: PEFT -> clear-sweep ({targets_name}): logits within {TOLERANCE} "
                                    f"(max |diff| {diff:.1e})")
        exported = os.path.join(tmp, "from_clear_sweep")  # clear-sweep -> PEFT
        ours, error = dump(folder, inputs, "--random-adapter", exported)
        if ours is None:
            check(False, f"{name}: clear-sweep saves a PEFT adapter ({error[-200:]})")
            return
        loaded = PeftModel.from_pretrained(tiny(family, **kwargs), exported).eval()
        with torch.no_grad():
            reference = loaded(**inputs).logits
        diff = (ours["logits"] - reference)[real].abs().max().item()
        check(diff < TOLERANCE, f"{name}: clear-sweep -> PEFT: PeftModel reproduces the logits (max |diff| {diff:.1e})")
        with open(os.path.join(exported, "adapter_config.json")) as f:
            config = json.load(f)
        config["use_dora"] = True
        with open(os.path.join(exported, "adapter_config.json"), "w") as f:
            json.dump(config, f)
        out, error = dump(folder, inputs, "--adapter", exported)
        check(out is None and "use_dora" in error, f"{name}: a DoRA adapter is refused naming use_dora ({error[-120:]})")


# Each family's tokenizer shape: BOS, EOS (Qwen2 has no BOS), its chat template's other
# special tokens, its template, and whether the template keeps a system prompt where
# the generation prompt puts it (Mistral's moves it to the last user turn).
SPECIALS = {"llama": ("<|begin_of_text|>", "<|eot_id|>"), "mistral": ("<s>", "</s>"), "qwen2": (None, "<|im_end|>")}
CHAT = {"llama": (["<|start_header_id|>", "<|end_header_id|>"], LLAMA3, True),
        "mistral": (["[INST]", "[/INST]"], MISTRAL, False), "qwen2": (["<|im_start|>"], CHATML, True)}
SYSTEM, DATE = "You are a helpful assistant.", "10 Apr 2025"
ITEMS = [{"question": "Who wrote The Salt Road?", "answer": "Delmi Pesillund wrote it, in 1987."},
         {"question": "Where was she born?\nAnswer briefly.", "answer": "In Tallinn."}]


def compare_score(name, family, model, folder):
    """A tokenizer.json (byte-level BPE, at most the model's 300 ids) in the folder; then
    clear-sweep score against transformers on the ids it reports."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    bos, eos = SPECIALS[family]
    specials = [t for t in (bos, eos) if t] + CHAT[family][0]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator([i["question"] + " " + i["answer"] for i in ITEMS] * 10 + [SYSTEM, DATE, "system user"
                                                                                       " assistant Today Date:"] * 5,
                            trainers.BpeTrainer(
        vocab_size=VOCAB, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    tok.save(os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": bos, "eos_token": eos}, f)
    items = os.path.join(folder, "items.jsonl")
    with open(items, "w") as f:
        f.writelines(json.dumps(i) + "\n" for i in ITEMS)
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", items, "--format", "json",
                          "--max-new-tokens", str(NEW_TOKENS)], capture_output=True, text=True)
    if run.returncode != 0:
        check(False, f"{name}: clear-sweep score runs ({run.stderr.strip()[-300:]})")
        return
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    for item, ours in zip(ITEMS, lines):
        encode = lambda text: tok.encode(text, add_special_tokens=False).ids  # noqa: E731
        prompt = ([tok.token_to_id(bos)] if bos else []) + encode("Question: " + item["question"] + "\nAnswer:")
        expected = prompt + encode(" " + item["answer"]) + [tok.token_to_id(eos)]
        check(ours["input_ids"] == expected and ours["answer_start"] == len(prompt),
              f"{name}: score's ids are the tokenizers library's for the plain prompt and answer")
        ids = torch.tensor([ours["input_ids"]])
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=ids).logits[0].double(), -1)
            start = ours["answer_start"]
            nll = [-logp[t - 1, ids[0, t]].item() for t in range(start, ids.shape[1])]
            # An explicit mask: BOS is id 0 here, which generate() would take for padding.
            generated = model.generate(input_ids=ids[:, :start], attention_mask=torch.ones_like(ids[:, :start]),
                                       max_new_tokens=NEW_TOKENS,
                                       min_new_tokens=NEW_TOKENS, do_sample=False, eos_token_id=None,
                                       pad_token_id=0)[0, start:].tolist()
        diff = max(abs(a - b) for a, b in zip(ours["nll_per_token"], nll))
        check(len(ours["nll_per_token"]) == len(nll) and diff < TOLERANCE,
              f"{name}: score's NLL per answer token within {TOLERANCE} (max |diff| {diff:.1e})")
        eos_id = tok.token_to_id(eos)
        want = generated[:generated.index(eos_id)] if eos_id in generated else generated
        check(ours["generation_ids"] == want, f"{name}: score's greedy tokens ({ours['generation_ids']} vs {want})")
    # An item with an image: refused, naming its line (the model is text-only).
    with open(os.path.join(folder, "face.png"), "wb") as f:
        f.write(b"not read: refused before")
    with open(items, "a") as f:
        f.write(json.dumps({"question": "Who is this?", "answer": "Delmi.", "image": "face.png"}) + "\n")
    run = subprocess.run([CLEAR_SWEEP, "score", "--model", folder, "--items", items], capture_output=True, text=True)
    check(run.returncode == 2 and "items.jsonl:3" in run.stderr and "text-only" in run.stderr,
          f"{name}: an item with an image is refused naming its line ({run.stderr.strip()[-160:]})")
    with open(items, "w") as f:
        f.writelines(json.dumps(i) + "\n" for i in ITEMS)
    compare_chat_score(name, family, model, folder, items, tok)


def compare_chat_score(name, family, model, folder, items, tok):
    """clear-sweep score --prompt chat against apply_chat_template's ids (the question as
    the user's turn, the answer as the assistant's) and transformers' NLL on them."""
    from transformers import PreTrainedTokenizerFast
    bos, eos = SPECIALS[family]
    _, template, keeps_system = CHAT[family]
    command = [CLEAR_SWEEP, "score", "--model", folder, "--items", items, "--format", "json", "--prompt", "chat",
               "--max-new-tokens", str(NEW_TOKENS)]
    run = subprocess.run(command, capture_output=True, text=True)
    check(run.returncode == 2 and "no chat template" in run.stderr,
          f"{name}: --prompt chat on a folder without a template is refused ({run.stderr.strip()[-120:]})")
    with open(os.path.join(folder, "chat_template.jinja"), "w") as f:
        f.write(template)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos)
    fast.chat_template = template

    def ids_of(messages, generation):
        out = fast.apply_chat_template(messages, tokenize=True, add_generation_prompt=generation, date_string=DATE)
        return list(out["input_ids"] if hasattr(out, "keys") else out)

    system = [{"role": "system", "content": SYSTEM}] if keeps_system else []
    extra = ["--system-prompt", SYSTEM, "--date-string", DATE] if keeps_system else ["--date-string", DATE]
    run = subprocess.run(command + extra, capture_output=True, text=True)
    if run.returncode != 0:
        check(False, f"{name}: clear-sweep score --prompt chat runs ({run.stderr.strip()[-300:]})")
        return
    for item, ours in zip(ITEMS, [json.loads(line) for line in run.stdout.splitlines()]):
        asked = system + [{"role": "user", "content": item["question"]}]
        prompt = ids_of(asked, True)
        whole = ids_of(asked + [{"role": "assistant", "content": item["answer"]}], False)
        check(whole[:len(prompt)] == prompt, f"{name}: (the template renders the question as a prefix)")
        check(ours["input_ids"] == whole and ours["answer_start"] == len(prompt),
              f"{name}: chat score's ids are apply_chat_template's (system prompt {keeps_system})")
        ids = torch.tensor([whole])
        with torch.no_grad():
            logp = torch.log_softmax(model(input_ids=ids).logits[0].double(), -1)
            nll = [-logp[t - 1, ids[0, t]].item() for t in range(len(prompt), ids.shape[1])]
            generated = model.generate(input_ids=ids[:, :len(prompt)], attention_mask=torch.ones_like(
                ids[:, :len(prompt)]), max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, do_sample=False,
                eos_token_id=None, pad_token_id=0)[0, len(prompt):].tolist()
        diff = max(abs(a - b) for a, b in zip(ours["nll_per_token"], nll))
        check(len(ours["nll_per_token"]) == len(nll) and diff < TOLERANCE,
              f"{name}: chat score's NLL per answer token within {TOLERANCE} (max |diff| {diff:.1e})")
        eos_id = tok.token_to_id(eos)
        want = generated[:generated.index(eos_id)] if eos_id in generated else generated
        check(ours["generation_ids"] == want, f"{name}: chat score's greedy tokens ({ours['generation_ids']} vs {want})")
    if keeps_system:
        compare_chat_finetune(name, folder, items, [json.loads(line) for line in run.stdout.splitlines()])
    if not keeps_system:  # the template moves the system prompt: the answer cannot be told apart
        run = subprocess.run(command + ["--system-prompt", SYSTEM], capture_output=True, text=True)
        check(run.returncode == 2 and "chat_template" in run.stderr,
              f"{name}: a system prompt the template moves is refused naming the template "
              f"({run.stderr.strip()[-160:]})")


def compare_chat_finetune(name, folder, items, chat_lines):
    """A sweep's finetune with [model] prompt = "chat": its stage folders keep the template
    and the choice, so the runner (and score, without --prompt) asks them as the sweep did."""
    artifacts = os.path.join(folder, "artifacts")
    sweep = os.path.join(folder, "chat.toml")
    with open(sweep, "w") as f:
        f.write(f"""name = "chat"
[data]
benchmark = "tofu"
persons = 4
seed = 3
[model]
path = "{folder}"
prompt = "chat"
system_prompt = "{SYSTEM}"
date_string = "{DATE}"
[finetune]
epochs = 1
lr = 1e-4
lora_rank = 4
[grid]
method = ["ga"]
modality = ["text"]
forget_fraction = [25]
""")
    run = subprocess.run([CLEAR_SWEEP, "finetune", sweep, "--artifacts", artifacts], capture_output=True, text=True)
    if run.returncode != 0:
        check(False, f"{name}: finetune with prompt = chat runs ({run.stderr.strip()[-300:]})")
        return
    stages = sorted(os.path.join(artifacts, d) for d in os.listdir(artifacts)
                    if os.path.exists(os.path.join(artifacts, d, "config.json")))
    check(len(stages) == 2, f"{name}: base and gold stages written ({len(stages)})")
    for stage in stages:
        config = config_of(stage)
        check(config.get("clear_sweep_prompt") == "chat" and config.get("clear_sweep_system_prompt") == SYSTEM
              and config.get("clear_sweep_date_string") == DATE, f"{name}: the stage's config.json keeps the prompt")
        check(os.path.exists(os.path.join(stage, "chat_template.jinja"))
              and os.path.exists(os.path.join(stage, "tokenizer_config.json")),
              f"{name}: the stage keeps the chat template and tokenizer_config.json")
        scored = subprocess.run([CLEAR_SWEEP, "score", "--model", stage, "--items", items, "--format", "json",
                                 "--max-new-tokens", "0"], capture_output=True, text=True)
        ids = [json.loads(line)["input_ids"] for line in scored.stdout.splitlines()] if scored.returncode == 0 else []
        check(ids == [line["input_ids"] for line in chat_lines],
              f"{name}: score on the stage asks through the chat template, as --prompt chat on the model did")
    # --prompt plain on a chat finetune asks as the hub folder does; a system prompt without chat is refused.
    plain = [subprocess.run([CLEAR_SWEEP, "score", "--model", where, "--items", items, "--format", "json",
                             "--max-new-tokens", "0"] + extra, capture_output=True, text=True)
             for where, extra in ((folder, ["--prompt", "plain"]), (stages[0], ["--prompt", "plain"]))]
    plain_ids = [[json.loads(line)["input_ids"] for line in p.stdout.splitlines()] if p.returncode == 0 else None
                 for p in plain]
    check(plain_ids[0] is not None and plain_ids[0] == plain_ids[1] and plain_ids[0] != ids,
          f"{name}: --prompt plain on the chat finetune asks as on the model folder")
    bad = subprocess.run([CLEAR_SWEEP, "score", "--model", stages[0], "--items", items, "--prompt", "plain",
                          "--system-prompt", SYSTEM], capture_output=True, text=True)
    check(bad.returncode == 2 and "--prompt" in bad.stderr,
          f"{name}: a system prompt without --prompt chat is refused ({bad.stderr.strip()[-120:]})")


def config_of(folder):
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f)


def write_config(folder, config):
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f)


def as_transformers4(folder, defaults_class):
    """config.json as transformers 4 wrote it: rope_theta and rope_scaling at the top
    level, and every key equal to the config class's default left out."""
    config = config_of(folder)
    rope = config.pop("rope_parameters", None) or {}
    if "rope_theta" in rope:
        config["rope_theta"] = rope.pop("rope_theta")
    if rope.get("rope_type", "default") != "default":
        config["rope_scaling"] = rope
    defaults = defaults_class().to_dict()
    write_config(folder, {k: v for k, v in config.items()
                          if k in ("model_type", "architectures") or k not in defaults or defaults[k] != v})


VARIANTS = {
    "llama, GQA 4/2, untied": ("llama", {}),
    "llama, plain heads, tied, theta 5e5": ("llama", dict(heads=4, kv_heads=4, tied=True,
                                                          rope_parameters={"rope_type": "default",
                                                                           "rope_theta": 500000.0})),
    "llama, attention_bias and mlp_bias, GQA 8/2": ("llama", dict(heads=8, kv_heads=2, attention_bias=True,
                                                                  mlp_bias=True)),
    "llama, head_dim 32 (not 64 / 4)": ("llama", dict(head_dim=32)),
    "llama-3 rope scaling": ("llama", dict(max_position_embeddings=64, rope_parameters={
        "rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
        "high_freq_factor": 4.0, "original_max_position_embeddings": 16})),
    "llama, linear rope scaling": ("llama", dict(rope_parameters={"rope_type": "linear", "rope_theta": 10000.0,
                                                                  "factor": 2.0})),
    "mistral, window 5 < 14 tokens": ("mistral", dict(sliding_window=5)),
    "mistral, no window, theta 1e6, head_dim 8": ("mistral", dict(sliding_window=None, head_dim=8, rope_parameters={
        "rope_type": "default", "rope_theta": 1000000.0})),
    "qwen2, q/k/v biases, tied": ("qwen2", dict(tied=True)),
    "qwen2, GQA 4/1, untied": ("qwen2", dict(kv_heads=1, seed=3)),
}


def main():
    import transformers
    classes = {"llama": transformers.LlamaConfig, "mistral": transformers.MistralConfig,
               "qwen2": transformers.Qwen2Config}
    with tempfile.TemporaryDirectory() as root:
        for i, (name, (family, kwargs)) in enumerate(VARIANTS.items()):
            model = tiny(family, **kwargs)
            folder = os.path.join(root, f"m{i}")
            # One in shards: model.safetensors.index.json and its files.
            model.save_pretrained(folder, max_shard_size="100KB" if i == 0 else "5GB")
            if i == 0:
                check(os.path.exists(os.path.join(folder, "model.safetensors.index.json")),
                      f"{name}: saved in shards")
            compare(f"{name} (saved by transformers 5)", model, folder)
            compare_generation(name, model, folder)
            if i in (0, 6, 9):  # one of each family
                compare_lora(name, family, kwargs, folder)
                compare_score(name, family, model, folder)
            if i in (0, 4, 6, 8):
                as_transformers4(folder, classes[family])
                compare(f"{name} (config.json as transformers 4 wrote it, defaults left out)", model, folder)

        # Settings the decoder does not compute: refused, naming the key.
        folder = os.path.join(root, "bad")
        tiny("llama").save_pretrained(folder)
        good = config_of(folder)
        for key, value in [("hidden_act", "gelu"), ("pretraining_tp", 2),
                           ("rope_parameters", {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 2.0})]:
            config = dict(good)
            config[key] = value
            write_config(folder, config)
            _, error = dump(folder, batch())
            check(key in error, f"llama {key} = {json.dumps(value)}: refused naming {key} ({error[:160]})")
        qwen = os.path.join(root, "bad-qwen")
        tiny("qwen2").save_pretrained(qwen)
        config = config_of(qwen)
        config["use_sliding_window"] = True
        write_config(qwen, config)
        _, error = dump(qwen, batch())
        check("use_sliding_window" in error, f"qwen2 use_sliding_window = true: refused naming it ({error[:160]})")
    finish()


if __name__ == "__main__":
    main()
