// ROUGE exactly as Google's rouge_score package computes it with use_stemmer=True:
// lower-case, every run of characters outside [a-z0-9] becomes a space, tokens longer
// than 3 characters are Porter-stemmed (NLTK's). ROUGE-L scores the longest common
// subsequence of tokens (CLEAR), ROUGE-N the clipped overlap of n-grams (MLLMU-Bench
// reports ROUGE-1 and ROUGE-2 F-measures beside ROUGE-L's).
#pragma once

#include <string>
#include <vector>

namespace clear_sweep {

/// rouge_score's tokenizer (tokenize.tokenize with a Porter stemmer).
std::vector<std::string> rouge_tokenize(const std::string& text, bool stem = true);

struct RougeScore {
  double precision = 0;
  double recall = 0;
  double fmeasure = 0;
};

/// ROUGE-L of `prediction` against `reference`; all zero when either has no tokens.
RougeScore rouge_l(const std::string& reference, const std::string& prediction, bool stem = true);

/// ROUGE-N (n >= 1) of `prediction` against `reference`: matched n-grams, each counted at
/// most as often as in either, over the prediction's (precision) and the reference's
/// (recall) n-gram count, each at least 1.
RougeScore rouge_n(const std::string& reference, const std::string& prediction, int n, bool stem = true);

/// Length of the longest common subsequence of two token lists.
size_t lcs_length(const std::vector<std::string>& a, const std::vector<std::string>& b);

}  // namespace clear_sweep
