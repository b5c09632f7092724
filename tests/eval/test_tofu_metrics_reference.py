"""TOFU's metrics in clear-sweep against open-unlearning's definitions (configs/eval/
tofu_metrics, src/evals/metrics) written here with numpy, scipy and rouge_score, on 200
random cases:
  Prob           mean over items of exp(-answer loss) (forget, retain);
  Prob (RA, WF)  probability_w_options: p(answer) / (p(answer) + sum p(wrong));
  ROUGE          rouge_score's rougeL recall with the stemmer;
  truth ratio    tr = exp(-mean wrong loss) / exp(-correct loss), the correct answer the
                 paraphrase (forget, retain) or the answer (RA, WF); forget:
                 mean(min(tr, 1/tr)), the others mean(max(0, 1 - tr));
  model utility  scipy.stats.hmean of the nine retain / RA / WF values;
  forget quality scipy.stats.ks_2samp p-value of the forget tr against the gold model's.

usage: test_tofu_metrics_reference.py TOFU_METRICS_DUMP"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("numpy", "scipy", "rouge_score")
import numpy as np  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402
from scipy.stats import hmean, ks_2samp  # noqa: E402

rng = np.random.default_rng(23)
WORDS = ["the", "author", "writes", "wrote", "novels", "born", "in", "Lisbon", "1987", "a", "of", "light", "running"]
SCORER = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def words(n):
    return " ".join(rng.choice(WORDS, n))


def set_case(n, options, paraphrase):
    s = {"answer_loss": rng.exponential(1.5, n).tolist(),
         "perturbed_loss": [rng.exponential(2.0, options).tolist() for _ in range(n)],
         "references": [words(int(rng.integers(1, 12))) for _ in range(n)],
         "generations": [words(int(rng.integers(0, 14))) for _ in range(n)]}
    if paraphrase:
        s["paraphrase_loss"] = rng.exponential(1.5, n).tolist()
    return s


def case():
    return {"forget": set_case(int(rng.integers(2, 30)), 5, True),
            "gold_forget": set_case(int(rng.integers(2, 30)), 5, True),
            "retain": set_case(int(rng.integers(1, 30)), 5, True),
            "real_authors": set_case(int(rng.integers(1, 20)), 3, False),
            "world_facts": set_case(int(rng.integers(1, 20)), 3, False)}


def tr(s, paraphrase):
    correct = np.array(s["paraphrase_loss"] if paraphrase else s["answer_loss"])
    wrong = np.array([np.mean(w) for w in s["perturbed_loss"]])
    return np.exp(-wrong) / np.exp(-correct)


def expected(c):
    e = {}
    for name in ("forget", "retain"):
        s = c[name]
        e[name + "_prob"] = float(np.mean(np.exp(-np.array(s["answer_loss"]))))
        e[name + "_rouge"] = float(np.mean([SCORER.score(r, g)["rougeL"].recall
                                            for r, g in zip(s["references"], s["generations"])]))
        t = tr(s, True)
        e[name + "_truth_ratio"] = float(np.mean(np.minimum(t, 1 / t)) if name == "forget"
                                         else np.mean(np.maximum(0, 1 - t)))
    for key, name in (("real_authors", "tofu_real_authors"), ("world_facts", "tofu_world_facts")):
        s = c[key]
        right = np.exp(-np.array(s["answer_loss"]))
        wrong = np.array([np.exp(-np.array(w)).sum() for w in s["perturbed_loss"]])
        e[name + "_prob"] = float(np.mean(right / (right + wrong)))
        e[name + "_rouge"] = float(np.mean([SCORER.score(r, g)["rougeL"].recall
                                            for r, g in zip(s["references"], s["generations"])]))
        e[name + "_truth_ratio"] = float(np.mean(np.maximum(0, 1 - tr(s, False))))
    e["model_utility"] = float(hmean([e[k] for k in (
        "retain_prob", "retain_rouge", "retain_truth_ratio", "tofu_real_authors_prob", "tofu_real_authors_rouge",
        "tofu_real_authors_truth_ratio", "tofu_world_facts_prob", "tofu_world_facts_rouge",
        "tofu_world_facts_truth_ratio")]))
    e["forget_quality"] = float(ks_2samp(tr(c["forget"], True), tr(c["gold_forget"], True)).pvalue)
    return e


cases = [case() for _ in range(200)]
run = subprocess.run([sys.argv[1]], input=json.dumps(cases), capture_output=True, text=True)
check(run.returncode == 0, "tofu_metrics_dump runs: " + run.stderr[-300:])
got = json.loads(run.stdout) if run.returncode == 0 else []
worst = {}
for c, g in zip(cases, got):
    for name, want in expected(c).items():
        worst[name] = max(worst.get(name, 0.0), abs(g[name] - want) / max(1.0, abs(want)))
for name, err in sorted(worst.items()):
    check(err <= 1e-9, f"{name} equals open-unlearning's formula on {len(got)} cases (worst relative error {err:.1e})")
check(len(got) == len(cases), "one answer per case")
finish()
