"""clear-sweep's BLEU and ROUGE-1/2/L against the packages MLLMU-Bench scores with
(issue 17): NLTK's sentence_bleu with SmoothingFunction().method1 on str.split() tokens,
and rouge_score's RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True) precision,
recall and F-measure. Pairs are generated here: shared and repeated words, inflections
the stemmer folds, punctuation, case, digits, unicode, empty and one-word texts.

usage: test_text_metrics_reference.py CLEAR_SWEEP"""
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "model"))
from hf_reference import check, finish, require  # noqa: E402

require("nltk", "rouge_score")
from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402

BIN = sys.argv[1]
WORDS = ("the a of she he was born in city river running runs ran studies studied study writer "
         "writers wrote novel novels Paris paris PARIS 1987 42 award-winning well-known "
         "café naïve über , . ; ! ? ( )").split()


def text(rng):
    n = rng.choice([0, 1, 2, 3, 5, 8, 13, 21])
    words = [rng.choice(WORDS) for _ in range(n)]
    seps = [rng.choice([" ", " ", " ", "  ", "\t", "\n", "\u00a0"]) for _ in words]
    return "".join(w + s for w, s in zip(words, seps)).strip(" ") if rng.random() < 0.8 else "".join(
        w + s for w, s in zip(words, seps))


def main():
    rng = random.Random(17)
    pairs = []
    for _ in range(600):
        ref = text(rng)
        # Predictions near the reference (edits) half the time, unrelated otherwise.
        if rng.random() < 0.5 and ref:
            words = ref.split()
            for _ in range(rng.randint(0, 3)):
                if words:
                    words[rng.randrange(len(words))] = rng.choice(WORDS)
            pred = " ".join(words[: rng.randint(0, len(words))] if rng.random() < 0.3 else words)
        else:
            pred = text(rng)
        pairs.append({"reference": ref, "prediction": pred})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pairs.jsonl")
        with open(path, "w") as f:
            for p in pairs:
                f.write(json.dumps(p) + "\n")

        def ours(*args):
            out = subprocess.run([BIN, "metric", *args, path], capture_output=True, text=True, check=True).stdout
            return [float(v) for v in out.split()]

        bleu = ours("bleu")
        smooth = SmoothingFunction().method1
        expected = [sentence_bleu([p["reference"].split()], p["prediction"].split(), smoothing_function=smooth)
                    for p in pairs]
        worst = max(abs(a - b) for a, b in zip(bleu, expected))
        check(len(bleu) == len(pairs) and worst < 1e-12,
              f"BLEU equals NLTK's sentence_bleu (method1) on {len(pairs)} pairs (max difference {worst:.1e}); "
              f"{sum(e > 0 for e in expected)} of them nonzero")

        scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
        scores = [scorer.score(p["reference"], p["prediction"]) for p in pairs]
        for kind in ("rouge1", "rouge2", "rougeL"):
            for measure in ("precision", "recall", "fmeasure"):
                got = ours("rouge", "--type", kind, "--measure", measure)
                want = [getattr(s[kind], measure) for s in scores]
                worst = max(abs(a - b) for a, b in zip(got, want))
                check(len(got) == len(pairs) and worst < 1e-12,
                      f"{kind} {measure} equals rouge_score's (max difference {worst:.1e})")
    finish()


main()
