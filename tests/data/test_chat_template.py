"""Chat templates (issue 34) rendered by clear-sweep (minja) against transformers'
apply_chat_template (jinja2, trim_blocks and lstrip_blocks): the text, and the ids of
the folder's tokenizer.json.

The templates are in the shapes the families' folders ship (ChatML for Qwen2, Llama-3's
header tokens, Mistral's [INST] with its alternation check, LLaVA-1.5's USER/ASSISTANT),
using the constructs those templates use: whitespace control, loops with loop.first and
loop.last, namespace(), slicing, filters (trim, length), `is defined`, string
concatenation, raise_exception. Each is saved where transformers 5 saves it
(chat_template.jinja), and rewritten where 4.4x saved it (chat_template.json) and where
older folders hold it (tokenizer_config.json). Conversations with and without a system
prompt, with and without the generation prompt; a conversation a template refuses is
refused naming the template's file.

The hub's own templates of Llama-3.2-Instruct, Qwen2.5-Instruct, Mistral-7B-Instruct-v0.3
and Llama-2-chat (tests/data/published_templates/, copied verbatim; SOURCES.md says from
where) are rendered the same way, Llama-3's date_string handed to both.

usage: test_chat_template.py TOKENIZER_DECODE_DUMP"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
sys.path.insert(0, HERE)
from hf_reference import check, finish, require  # noqa: E402
from family_templates import CHATML, LLAMA3, LLAVA, MISTRAL  # noqa: E402

require("transformers", "tokenizers")
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers  # noqa: E402
from transformers import PreTrainedTokenizerFast  # noqa: E402

DUMP = sys.argv[1]

SPECIALS = ["<s>", "</s>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|eot_id|>", "<|start_header_id|>",
            "<|end_header_id|>", "[INST]", "[/INST]", "<pad>"]

CONVERSATIONS = [
    [{"role": "user", "content": "Who is Delmi Pesillund?"}],
    [{"role": "system", "content": "  Answer briefly.  "}, {"role": "user", "content": "Where was she born?"}],
    [{"role": "user", "content": "Name her first book."}, {"role": "assistant", "content": " The Salt Road. "},
     {"role": "user", "content": "And the second?\nIn one line."}],
    [{"role": "system", "content": "Be exact."}, {"role": "user", "content": "Ünïcödé ✓ 東京 🙂"},
     {"role": "assistant", "content": "Noted."}, {"role": "user", "content": "Digits: 1234567"}],
]


def tokenizer(template, bos, eos):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator([json.dumps(c) for c in CONVERSATIONS] * 20, trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos, pad_token="<pad>")
    fast.chat_template = template
    return fast


def ours(folder, requests):
    run = subprocess.run([DUMP, "chat", folder], input="".join(json.dumps(r) + "\n" for r in requests),
                         capture_output=True, text=True)
    if run.returncode != 0:
        return None, run.stderr.strip()
    return [json.loads(line) for line in run.stdout.splitlines()], ""


def ids_of(fast, conversation, generation, **variables):
    out = fast.apply_chat_template(conversation, tokenize=True, add_generation_prompt=generation, **variables)
    if isinstance(out, dict) or hasattr(out, "keys"):
        out = out["input_ids"]
    return list(out)


def move_template(folder, template, where):
    """Rewrites the folder so its template sits where transformers 4.4x or older put it."""
    for old in ("chat_template.jinja", "chat_template.json"):
        if os.path.exists(os.path.join(folder, old)):
            os.remove(os.path.join(folder, old))
    if where == "chat_template.json":
        with open(os.path.join(folder, "chat_template.json"), "w") as f:
            json.dump({"chat_template": template}, f)
    else:
        config_path = os.path.join(folder, "tokenizer_config.json")
        with open(config_path) as f:
            config = json.load(f)
        config["chat_template"] = template
        with open(config_path, "w") as f:
            json.dump(config, f)


def main():
    shapes = {"chatml (qwen2)": (CHATML, None, "<|im_end|>"), "llama-3": (LLAMA3, "<|begin_of_text|>", "<|eot_id|>"),
              "mistral": (MISTRAL, "<s>", "</s>"), "llava-1.5": (LLAVA, "<s>", "</s>")}
    with tempfile.TemporaryDirectory() as root:
        for name, (template, bos, eos) in shapes.items():
            fast = tokenizer(template, bos, eos)
            folder = os.path.join(root, name.split()[0])
            fast.save_pretrained(folder)
            check(os.path.exists(os.path.join(folder, "chat_template.jinja")),
                  f"{name}: transformers saves chat_template.jinja")
            for where in ("chat_template.jinja", "chat_template.json", "tokenizer_config.json"):
                if where != "chat_template.jinja":
                    move_template(folder, template, where)
                cases, requests = [], []
                for conversation in CONVERSATIONS:
                    for generation in (False, True):
                        cases.append((conversation, generation))
                        requests.append({"messages": conversation, "add_generation_prompt": generation})
                got, error = ours(folder, requests)
                if got is None:
                    check(False, f"{name} ({where}): clear-sweep renders ({error[-300:]})")
                    continue
                for (conversation, generation), mine in zip(cases, got):
                    text = fast.apply_chat_template(conversation, tokenize=False, add_generation_prompt=generation)
                    label = f"{name} ({where}), {len(conversation)} messages, generation prompt {generation}"
                    check(mine["text"] == text, f"{label}: the text" + ("" if mine["text"] == text
                                                                         else f" ({mine['text']!r} vs {text!r})"))
                    check(mine["ids"] == ids_of(fast, conversation, generation), f"{label}: the ids")
        # The templates as the hub publishes them (published_templates/SOURCES.md says
        # where each was copied from), with Llama-3's date_string handed to both.
        published = {"llama-3.2-instruct": ("<|begin_of_text|>", "<|eot_id|>", {"date_string": "10 Apr 2025"}),
                     "qwen2.5-instruct": (None, "<|im_end|>", {}),
                     "mistral-7b-instruct-v0.3": ("<s>", "</s>", {}),
                     "llama-2-chat": ("<s>", "</s>", {})}
        for name, (bos, eos, variables) in published.items():
            with open(os.path.join(HERE, "published_templates", name + ".jinja"), encoding="utf-8") as f:
                template = f.read()
            fast = tokenizer(template, bos, eos)
            folder = os.path.join(root, "published-" + name)
            fast.save_pretrained(folder)
            cases = [(c, g) for c in CONVERSATIONS for g in (False, True)]
            got, error = ours(folder, [{"messages": c, "add_generation_prompt": g, "variables": variables}
                                       for c, g in cases])
            if got is None:
                check(False, f"published {name}: clear-sweep renders ({error[-300:]})")
                continue
            for (conversation, generation), mine in zip(cases, got):
                text = fast.apply_chat_template(conversation, tokenize=False, add_generation_prompt=generation,
                                                **variables)
                label = f"published {name}, {len(conversation)} messages, generation prompt {generation}"
                check(mine["text"] == text, f"{label}: the text" + ("" if mine["text"] == text
                                                                     else f" ({mine['text']!r} vs {text!r})"))
                check(mine["ids"] == ids_of(fast, conversation, generation, **variables), f"{label}: the ids")
        # A conversation the template refuses: raise_exception's message, naming the file.
        folder = os.path.join(root, "mistral")
        bad = [{"role": "assistant", "content": "first"}, {"role": "user", "content": "second"}]
        got, error = ours(folder, [{"messages": bad, "add_generation_prompt": False}])
        check(got is None and "conversation roles must alternate" in error and "tokenizer_config.json" in error,
              f"mistral: a conversation out of turn is refused with the template's message ({error[-200:]})")
    finish()


if __name__ == "__main__":
    main()
