#!/usr/bin/python3
"""Regenerates the evaluation fixtures from independent implementations:

  fixtures/porter_words.tsv   word -> stem by NLTK's PorterStemmer (python3-nltk)
  fixtures/rouge_pairs.jsonl  ROUGE-L (precision, recall, F) as rouge_score computes it
                              with use_stemmer=True: its tokenizer re-implemented here
                              (rouge_score is not packaged by Debian) over NLTK's stemmer
  fixtures/ks_pairs.jsonl     two-sample Kolmogorov-Smirnov p-values by
                              scipy.stats.ks_2samp (python3-scipy), method "auto"

    /usr/bin/python3 tests/eval/make_fixtures.py      # deterministic (seeded)
"""
import json
import os
import random
import re

import numpy as np
import scipy
import scipy.stats
from nltk.stem import porter

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
STEMMER = porter.PorterStemmer()

# Roots and suffixes that between them reach every rule of the Porter algorithm.
ROOTS = ["connect", "generat", "run", "hop", "fall", "fil", "happ", "motor", "control", "troubl", "sing", "agre",
         "plaster", "bl", "siz", "tann", "fail", "hiss", "fizz", "conflat", "rat", "condition", "valen", "hesit",
         "digit", "conform", "radic", "differ", "vil", "analog", "vietnam", "predic", "oper", "feud", "decis",
         "hope", "callous", "formal", "sensit", "sensib", "triplic", "form", "electr", "good", "reviv", "allow",
         "infer", "airlin", "gyroscop", "adjust", "depend", "adopt", "homolog", "communi", "activ", "bowdler",
         "probat", "rate", "cease", "controll", "roll", "geo", "theo", "archaeo", "sky", "die", "ly", "ty", "cry",
         "fly", "news", "inning", "outing", "canning", "proceed", "exceed", "succeed", "feed", "bleed", "mess",
         "caress", "pony", "ti", "cat", "ear", "author", "book", "write", "river", "lantern", "award", "born"]
SUFFIXES = ["", "s", "es", "ed", "ing", "ies", "ied", "y", "ly", "eed", "ational", "tional", "enci", "anci", "izer",
            "bli", "alli", "entli", "eli", "ousli", "ization", "ation", "ator", "alism", "iveness", "fulness",
            "ousness", "aliti", "iviti", "biliti", "fulli", "logi", "icate", "ative", "alize", "iciti", "ical", "ful",
            "ness", "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "sion", "tion",
            "ou", "ism", "ate", "iti", "ous", "ive", "ize", "e", "ll", "at", "bl", "iz", "ly", "ingly", "edly"]

WORDS = ("the a an of in on at to is was were be been born writes wrote books novel award prize city year "
         "father mother worked lives living running runs ran generalization generalizations happily happiness "
         "connection connected connecting relational conditional rationally digitizer operator feudalism "
         "decisiveness hopefulness callousness formality sensitivity sensibility triplicate formative formalize "
         "electricity electrical hopeful goodness revival allowance inference airliner gyroscopic adjustable "
         "defensible irritant replacement adjustment dependent adoption homologous communism activate angularity "
         "homologous effective bowdlerize probate rate cease controlling rolling skies dying lying tying news "
         "innings outings cannings proceed exceeded succeeding agreed feed bled sized hopping tanned falling "
         "failing filing hissing fizzed caresses ponies ties cats").split()
PUNCT = [",", ".", "!", "?", ";", ":", "'", "\"", "-", "(", ")", "/", "&", "'s", "n't", "...", " - "]


def rouge_tokenize(text):
    text = text.lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    tokens = re.split(r"\s+", text)
    tokens = [STEMMER.stem(x) if len(x) > 3 else x for x in tokens]
    return [x for x in tokens if re.match(r"^[a-z0-9]+$", x)]


def lcs(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            table[i][j] = table[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1] else max(table[i - 1][j], table[i][j - 1])
    return table[-1][-1]


def rouge_l(reference, prediction):
    r, p = rouge_tokenize(reference), rouge_tokenize(prediction)
    if not r or not p:
        return 0.0, 0.0, 0.0
    n = lcs(r, p)
    precision, recall = n / len(p), n / len(r)
    f = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f


def sentence(rng):
    parts = []
    for _ in range(rng.randint(0, 18)):
        roll = rng.random()
        if roll < 0.65:
            w = rng.choice(WORDS)
            parts.append(w.capitalize() if rng.random() < 0.2 else w.upper() if rng.random() < 0.03 else w)
        elif roll < 0.8:
            parts.append(str(rng.choice([rng.randint(0, 9), rng.randint(1900, 2024), rng.randint(10, 999999)])))
        elif roll < 0.9:
            parts.append(rng.choice(ROOTS) + rng.choice(SUFFIXES))
        else:
            parts.append(rng.choice(PUNCT))
    return (" " if rng.random() < 0.8 else "").join(parts) if rng.random() < 0.9 else "".join(parts)


def main():
    rng = random.Random(20261123)
    words = sorted({r + s for r in ROOTS for s in SUFFIXES} | set(WORDS))
    with open(os.path.join(HERE, "porter_words.tsv"), "w") as f:
        for w in words:
            f.write(f"{w}\t{STEMMER.stem(w)}\n")

    pairs = [("", ""), ("", "Something"), ("Nothing", ""), ("!!!", "..."), ("The cat.", "the CAT"),
             ("Zürich, naïve café", "zurich naive cafe"), ("x" * 3, "xxx"), ("1999 was 1999", "1999"),
             ("Kalo Mira was born in Lisbon.", "Kalo Mira was born in Lisbon."),
             ("Kalo Mira's first book is \"The Silent Harbor\".", "The first book by Kalo Mira is The Silent Harbor")]
    while len(pairs) < 300:
        ref = sentence(rng)
        if rng.random() < 0.4:  # a noisy copy: shares words, as model generations do
            toks = ref.split()
            rng.shuffle(toks) if rng.random() < 0.3 else None
            pred = " ".join(t for t in toks if rng.random() < 0.7) + (" " + sentence(rng) if rng.random() < 0.5 else "")
        else:
            pred = sentence(rng)
        pairs.append((ref, pred))
    with open(os.path.join(HERE, "rouge_pairs.jsonl"), "w") as f:
        for ref, pred in pairs:
            p, r, fm = rouge_l(ref, pred)
            f.write(json.dumps({"reference": ref, "prediction": pred, "precision": p, "recall": r, "fmeasure": fm},
                               ensure_ascii=False) + "\n")

    np_rng = np.random.default_rng(7)
    sizes = [1, 2, 3, 5, 8, 13, 20, 40, 100, 250, 500]
    with open(os.path.join(HERE, "ks_pairs.jsonl"), "w") as f:
        for i in range(150):
            n, m = int(np_rng.choice(sizes)), int(np_rng.choice(sizes))
            kind = i % 3
            if kind == 0:  # continuous, shifted
                a, b = np_rng.normal(0, 1, n), np_rng.normal(np_rng.uniform(-1, 1), np_rng.uniform(0.5, 2), m)
            elif kind == 1:  # heavy ties: few distinct values
                a, b = np_rng.integers(0, 4, n).astype(float), np_rng.integers(0, 5, m).astype(float)
            else:  # truth-ratio-like values in (0, 1], with repeats
                a = np.round(np_rng.beta(2, 5, n), 2)
                b = np.round(np_rng.beta(2, 3, m), 2)
            p = scipy.stats.ks_2samp(a, b).pvalue
            f.write(json.dumps({"a": a.tolist(), "b": b.tolist(), "pvalue": float(p)}) + "\n")
    print(f"scipy {scipy.__version__}: {len(words)} words, {len(pairs)} pairs, 150 KS samples")


if __name__ == "__main__":
    main()
