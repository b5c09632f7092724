"""LoRA adapters between clear-sweep and PEFT, both ways (issue 15).

  - PEFT -> clear-sweep: a PEFT LoraConfig with CLEAR's targets (q, k, v, o, gate, up
    and down projections: PEFT matches the vision tower's q/k/v too), r 8, alpha 32,
    non-zero random weights, saved with save_pretrained; clear-sweep loads the folder and
    gives PeftModel's logits within 1e-4.
  - clear-sweep -> PEFT: clear-sweep attaches random adapters and saves them as PEFT's;
    PeftModel.from_pretrained loads the folder and reproduces clear-sweep's logits.
  - An adapter clear-sweep cannot represent (DoRA, rsLoRA, trained biases) is refused
    naming the key.

usage: test_peft_interchange.py HF_FORWARD_DUMP"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_reference import check, finish, require, tiny_llava  # noqa: E402
from test_hf_parity import inputs_for  # noqa: E402  (imports only: its checks run as __main__)

require("torch", "transformers", "peft", "safetensors")
import torch  # noqa: E402
from peft import LoraConfig, PeftModel, get_peft_model  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

DUMP = sys.argv[1]
TOLERANCE = 1e-4
CLEAR_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def ours(folder, inputs, *adapter):
    with tempfile.TemporaryDirectory() as tmp:
        save_file(inputs, os.path.join(tmp, "in.safetensors"))
        run = subprocess.run([DUMP, folder, os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors"),
                              *adapter], capture_output=True, text=True)
        if run.returncode != 0:
            return None, run.stderr.strip()
        return load_file(os.path.join(tmp, "out.safetensors"))["logits"], ""


with tempfile.TemporaryDirectory() as root:
    base_dir = os.path.join(root, "base")
    tiny_llava().save_pretrained(base_dir)
    inputs = inputs_for(tiny_llava())
    real = inputs["attention_mask"].bool()

    # PEFT -> clear-sweep
    torch.manual_seed(1)
    peft_model = get_peft_model(tiny_llava(), LoraConfig(r=8, lora_alpha=32, lora_dropout=0.0,
                                                         target_modules=CLEAR_TARGETS, init_lora_weights=False))
    peft_model.eval()
    adapter_dir = os.path.join(root, "from_peft")
    peft_model.save_pretrained(adapter_dir)
    with torch.no_grad():
        expected = peft_model(**inputs).logits
        plain = tiny_llava()(**inputs).logits
    check((expected - plain)[real].abs().max().item() > 1e-2, "the PEFT adapter changes the logits (a real test)")
    logits, err = ours(base_dir, inputs, "--adapter", adapter_dir)
    if logits is None:
        check(False, f"clear-sweep loads PEFT's adapter folder ({err})")
    else:
        diff = (logits - expected)[real].abs().max().item()
        check(diff < TOLERANCE, f"PEFT -> clear-sweep: PeftModel's logits within {TOLERANCE} (max |diff| {diff:.1e})")

    # clear-sweep -> PEFT
    export_dir = os.path.join(root, "from_clear_sweep")
    logits, err = ours(base_dir, inputs, "--random-adapter", export_dir)
    if logits is None:
        check(False, f"clear-sweep saves a PEFT adapter folder ({err})")
    else:
        loaded = PeftModel.from_pretrained(tiny_llava(), export_dir).eval()
        with torch.no_grad():
            reference = loaded(**inputs).logits
        diff = (logits - reference)[real].abs().max().item()
        check(diff < TOLERANCE, f"clear-sweep -> PEFT: PeftModel.from_pretrained reproduces the logits "
                                f"(max |diff| {diff:.1e})")
        with open(os.path.join(export_dir, "adapter_config.json")) as f:
            targets = json.load(f)["target_modules"]
        check(len(targets) == 3 * 7, f"the exported adapter covers every decoder linear layer ({len(targets)})")

    # What clear-sweep cannot represent
    for key, value in [("use_dora", True), ("use_rslora", True), ("bias", "all")]:
        with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
            config = json.load(f)
        config[key] = value
        bad_dir = os.path.join(root, f"bad_{key}")
        os.makedirs(bad_dir, exist_ok=True)
        with open(os.path.join(bad_dir, "adapter_config.json"), "w") as f:
            json.dump(config, f)
        save_file(load_file(os.path.join(adapter_dir, "adapter_model.safetensors")),
                  os.path.join(bad_dir, "adapter_model.safetensors"))
        logits, err = ours(base_dir, inputs, "--adapter", bad_dir)
        check(logits is None and key in err, f"{key} = {json.dumps(value)}: refused naming it ({err[:140]})")

finish()
