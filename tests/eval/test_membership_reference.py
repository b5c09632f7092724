"""clear-sweep's memorisation and membership-inference numbers against the references:
scikit-learn's roc_auc_score (holdout as the positive class, as open-unlearning calls
it), scipy.spatial.distance.jensenshannon over numpy.histogram bins, zlib.compress, and
open-unlearning's formulas for exact memorisation, extraction strength, Min-K% and
Min-K%++ written with numpy. 300 random cases, ties and odd lengths included.

usage: test_membership_reference.py MEMBERSHIP_DUMP"""
import json
import os
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("numpy", "scipy", "sklearn")
import numpy as np  # noqa: E402
from scipy.spatial.distance import jensenshannon  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

rng = np.random.default_rng(17)
WORDS = ["the", "author", "was", "born", "in", "Lisbon", "1987", "a", "a", "a", "novel", "of", "light"]


def case(i):
    n = int(rng.integers(0, 12)) if i % 10 else 0  # some empty answers
    logprob = (-rng.exponential(2.0, n)).round(1 if i % 3 == 0 else 6)  # rounding makes ties
    correct = rng.random(n) < (0.2 + 0.6 * (i % 5) / 4)
    mean = -rng.exponential(1.5, n)
    var = rng.exponential(1.0, n) * (rng.random(n) > 0.1)  # some zero variances
    members = rng.normal(0, 1, int(rng.integers(1, 30))).round(1 if i % 2 else 8)
    nonmembers = rng.normal(0.4, 1, int(rng.integers(1, 30))).round(1 if i % 2 else 8)
    a = rng.normal(0, 1, int(rng.integers(1, 40)))
    b = rng.normal(rng.uniform(-1, 1), rng.uniform(0.5, 2), int(rng.integers(1, 40)))
    text = " ".join(rng.choice(WORDS, int(rng.integers(0, 25))))
    return {"logprob": logprob.tolist(), "correct": correct.tolist(), "mean": mean.tolist(), "var": var.tolist(),
            "k": float(rng.choice([0.1, 0.2, 0.4, 0.5, 1.0])), "loss": float(rng.exponential(2.0)), "text": text,
            "members": members.tolist(), "nonmembers": nonmembers.tolist(), "a": a.tolist(), "b": b.tolist()}


def expected(c):
    lp, correct = np.array(c["logprob"]), np.array(c["correct"], dtype=bool)
    n = len(lp)
    e = {"em": float(correct.mean()) if n else None}
    # extraction strength, as open-unlearning's loop runs it
    k = 0
    for k in range(n):
        if correct[k:].all():
            break
    e["es"] = 1 - k / n if n else 0.0

    def low_mean(values):
        if len(values) == 0:
            return 0.0
        count = max(1, int(len(values) * c["k"]))
        return -float(np.mean(np.sort(values)[:count]))
    e["mink"] = low_mean(lp)
    sigma = np.clip(np.array(c["var"]), 1e-6, None)
    e["minkpp"] = low_mean((lp - np.array(c["mean"])) / np.sqrt(sigma))
    e["zlib"] = c["loss"] / max(len(zlib.compress(c["text"].encode("utf-8"))), 1)
    scores = np.array(c["members"] + c["nonmembers"])
    labels = np.array([0] * len(c["members"]) + [1] * len(c["nonmembers"]))
    e["auc"] = float(roc_auc_score(labels, scores))
    a, b = np.array(c["a"]), np.array(c["b"])
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    p, _ = np.histogram(a, bins=20, range=(lo, hi))
    q, _ = np.histogram(b, bins=20, range=(lo, hi))
    e["jsd"] = float(jensenshannon(p / len(a), q / len(b), base=2) ** 2)
    return e


cases = [case(i) for i in range(300)]
run = subprocess.run([sys.argv[1]], input=json.dumps(cases), capture_output=True, text=True)
check(run.returncode == 0, "membership_dump runs: " + run.stderr[-500:])
got = json.loads(run.stdout)
worst = {}
for c, g in zip(cases, got):
    for key, want in expected(c).items():
        have = g[key]
        if want is None:
            ok = have is None  # NaN is written as null
        else:
            ok = have is not None and abs(have - want) <= 1e-9 * max(1.0, abs(want))
        if not ok:
            worst.setdefault(key, (want, have))
for key in ["em", "es", "mink", "minkpp", "zlib", "auc", "jsd"]:
    check(key not in worst, f"{key} equals the reference on 300 cases" +
          (f" (first miss: want {worst[key][0]}, got {worst[key][1]})" if key in worst else ""))
finish()
