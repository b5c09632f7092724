// Sentence BLEU as MLLMU-Bench scores generations: NLTK's sentence_bleu on whitespace
// tokens (Python's str.split()), one reference, weights 1/4 for 1- to 4-grams, and
// SmoothingFunction().method1 (a precision with no match counts 0.1 matches).
#pragma once

#include <string>
#include <vector>

namespace clear_sweep {

/// Python's str.split() with no argument: runs of Unicode whitespace separate tokens.
std::vector<std::string> whitespace_tokens(const std::string& text);

/// BLEU of `hypothesis` against `reference`, as nltk.translate.bleu_score.sentence_bleu(
/// [reference.split()], hypothesis.split(), smoothing_function=SmoothingFunction().method1).
/// 0 when no unigram matches (NLTK's rule), and for an empty hypothesis.
double sentence_bleu(const std::string& reference, const std::string& hypothesis);

}  // namespace clear_sweep
