"""The face embedder against torchvision's ResNet-18 with fc = Flatten, as CLEAR's visual
benchmark builds it: the same state dict (torchvision's names, random weights and
batch-norm statistics) loads into both; the embeddings in eval mode and in training mode
(batch statistics) are equal, and so are the running statistics the training forward
leaves behind.

usage: test_torchvision_parity.py FACE_FORWARD_DUMP"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("torch", "torchvision", "safetensors")
import torch  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402
from torchvision import models  # noqa: E402

torch.manual_seed(11)
net = models.resnet18(weights=None)
net.fc = torch.nn.Flatten()
with torch.no_grad():  # batch norm away from its identity start, so that a swapped name shows
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0, 0.1)
            m.running_mean.normal_(0, 0.1)
            m.running_var.uniform_(0.5, 2.0)
            m.num_batches_tracked.fill_(3)
state = {k: v.contiguous() for k, v in net.state_dict().items()}
images = torch.randn(3, 3, 64, 64)

with tempfile.TemporaryDirectory() as tmp:
    weights, inputs, out = (os.path.join(tmp, n) for n in ("weights.safetensors", "inputs.safetensors",
                                                             "out.safetensors"))
    save_file(state, weights)
    save_file({"images": images}, inputs)
    run = subprocess.run([sys.argv[1], weights, inputs, out], capture_output=True, text=True)
    check(run.returncode == 0, "face_forward_dump loads torchvision's state dict: " + run.stderr[-500:])
    got = load_file(out)

with torch.no_grad():
    net.eval()
    want_eval = net(images)
    net.train()
    want_train = net(images)


def close(a, b, tol=1e-4):
    return a.shape == b.shape and torch.allclose(a, b, rtol=tol, atol=tol * float(b.abs().max()))


check(close(got["eval"], want_eval), f"eval-mode embeddings equal torchvision's (max diff "
      f"{(got['eval'] - want_eval).abs().max():.2e} of {want_eval.abs().max():.2e})")
check(close(got["train"], want_train), "training-mode embeddings (batch statistics) equal torchvision's")
buffers = {k: v for k, v in net.state_dict().items() if "running" in k or "num_batches" in k}
bad = [k for k, v in buffers.items() if not close(got["after." + k].to(v.dtype), v)]
check(not bad and len(buffers) == 60, f"all {len(buffers)} batch-norm buffers after the training forward equal "
      f"torchvision's" + (f" (first differing: {bad[0]})" if bad else ""))
finish()
