"""U-LIRA and U-MIA against the references, as CLEAR's cv/attack.py computes them:
U-LIRA with scipy.stats.norm.pdf over each sample's median and MAD / 0.6745, U-MIA with
scikit-learn's LogisticRegression, accuracies at p > 0.5 and AUCs with roc_auc_score.
Also the similarity logit against numpy. 200 random cases.

usage: test_shadow_attacks_reference.py SHADOW_ATTACK_DUMP"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("numpy", "scipy", "sklearn")
import numpy as np  # noqa: E402
from scipy import special, stats  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

rng = np.random.default_rng(23)


def case(i):
    gap = rng.uniform(0, 2)  # how far "in" scores sit above "out" ones
    models = int(rng.integers(2, 9))
    samples = []
    for _ in range(int(rng.integers(1, 12))):
        centre = rng.normal(0, 2)
        def draw(shift, rounded):  # rounded targets tie with each other
            values = centre + shift + rng.normal(0, rng.uniform(0.3, 1.5), models)
            return (values.round(1) if rounded and i % 4 == 0 else values).tolist()
        samples.append({"shadow_in": draw(gap, False), "shadow_out": draw(0, False),
                        "target_in": draw(gap, True), "target_out": draw(0, True)})
    cosines = rng.uniform(-0.5, 1.5, 20).tolist()
    return {"samples": samples, "cosines": cosines}


def rms(values):
    med = np.median(values)
    return np.median(np.abs(values - med)) / 0.6745


def expected(c):
    proba, log_odds, status = [], [], []
    for s in c["samples"]:
        ins, outs = np.array(s["shadow_in"]), np.array(s["shadow_out"])
        in_mean, in_sd = np.median(ins), max(rms(ins), 1e-12)
        out_mean, out_sd = np.median(outs), max(rms(outs), 1e-12)
        for key, label in (("target_in", 1), ("target_out", 0)):
            x = np.array(s[key])
            # attack.py's N_in / (N_in + N_out), from scipy's log densities: the same
            # where the densities do not underflow, and defined where a zero MAD makes both 0.
            log_in = stats.norm.logpdf(x, in_mean, in_sd)
            log_out = stats.norm.logpdf(x, out_mean, out_sd)
            p = special.expit(log_in - log_out)
            n_in, n_out = stats.norm.pdf(x, in_mean, in_sd), stats.norm.pdf(x, out_mean, out_sd)
            finite = (n_in + n_out) > 1e-300
            with np.errstate(invalid="ignore"):
                assert np.allclose(p[finite], (n_in / (n_in + n_out))[finite], rtol=1e-9, atol=1e-12)
            proba.extend(p)
            log_odds.extend(log_in - log_out)
            status.extend([label] * len(x))
    proba, status = np.array(proba), np.array(status)
    e = {"ulira_accuracy": float(np.mean((proba > 0.5) == status)), 
         # The AUC over the log-odds: the probabilities' ranking, without the ties that
         # saturating at 1.0 makes of distinct scores.
         "ulira_auc": float(roc_auc_score(status, log_odds))}
    features = np.concatenate([s["shadow_in"] for s in c["samples"]] + [s["shadow_out"] for s in c["samples"]])
    labels = np.array([1] * sum(len(s["shadow_in"]) for s in c["samples"]) +
                      [0] * sum(len(s["shadow_out"]) for s in c["samples"]))
    # LogisticRegression() as attack.py makes it, run to convergence for a tight comparison.
    model = LogisticRegression(tol=1e-12, max_iter=100000).fit(features.reshape(-1, 1), labels)
    e["weight"], e["bias"] = float(model.coef_[0, 0]), float(model.intercept_[0])
    targets = np.concatenate([s["target_in"] for s in c["samples"]] + [s["target_out"] for s in c["samples"]])
    t_status = np.array([1] * sum(len(s["target_in"]) for s in c["samples"]) +
                        [0] * sum(len(s["target_out"]) for s in c["samples"]))
    p = model.predict_proba(targets.reshape(-1, 1))[:, 1]
    e["umia_accuracy"] = float(np.mean((p > 0.5) == t_status))
    e["umia_auc"] = float(roc_auc_score(t_status, model.decision_function(targets.reshape(-1, 1))))
    cos = np.clip(np.array(c["cosines"]), 0, 1)
    e["logits"] = (np.log(cos + 1e-45) - np.log(1 - cos + 1e-45)).tolist()
    return e, len(proba)


cases = [case(i) for i in range(200)]
run = subprocess.run([sys.argv[1]], input=json.dumps(cases), capture_output=True, text=True)
check(run.returncode == 0, "shadow_attack_dump runs: " + run.stderr[-500:])
got = json.loads(run.stdout)
misses = {}
for c, g in zip(cases, got):
    want, guesses = expected(c)
    if g["guesses"] != guesses:
        misses.setdefault("guesses", (guesses, g["guesses"]))
    for key, value in want.items():
        tolerance = 1e-6 if key in ("weight", "bias") else 1e-9
        have = np.array(g[key], dtype=float)
        if have.shape != np.shape(value) or not np.allclose(have, value, rtol=tolerance, atol=tolerance):
            misses.setdefault(key, (value, g[key]))
for key in ["guesses", "ulira_accuracy", "ulira_auc", "weight", "bias", "umia_accuracy", "umia_auc", "logits"]:
    check(key not in misses, f"{key} equals the reference on 200 cases" +
          (f" (first miss: want {misses[key][0]}, got {misses[key][1]})" if key in misses else ""))
finish()
