#include "eval/bleu.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace clear_sweep {
namespace {

/// Bytes of a whitespace character of Python's str.isspace() at `i`, or 0.
size_t space_at(const std::string& s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return 1;
  static const char* const kWide[] = {"\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\xA8",
                                      "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"};
  for (const char* w : kWide)
    if (s.compare(i, std::char_traits<char>::length(w), w) == 0) return std::char_traits<char>::length(w);
  // U+2000..U+200A: E2 80 80..8A
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
      static_cast<unsigned char>(s[i + 2]) >= 0x80 && static_cast<unsigned char>(s[i + 2]) <= 0x8A)
    return 3;
  return 0;
}

using Ngrams = std::map<std::vector<std::string>, size_t>;

Ngrams ngrams(const std::vector<std::string>& tokens, size_t n) {
  Ngrams counts;
  for (size_t i = 0; i + n <= tokens.size(); ++i)
    ++counts[std::vector<std::string>(tokens.begin() + long(i), tokens.begin() + long(i + n))];
  return counts;
}

}  // namespace

std::vector<std::string> whitespace_tokens(const std::string& text) {
  std::vector<std::string> tokens;
  std::string current;
  for (size_t i = 0; i < text.size();) {
    if (const size_t n = space_at(text, i)) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
      i += n;
    } else {
      current += text[i++];
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

double sentence_bleu(const std::string& reference, const std::string& hypothesis) {
  const auto ref = whitespace_tokens(reference), hyp = whitespace_tokens(hypothesis);
  // Modified precision per order: hypothesis n-grams clipped by the reference's count,
  // over the hypothesis n-grams (at least 1).
  double numerator[5] = {}, denominator[5] = {};
  for (size_t n = 1; n <= 4; ++n) {
    const Ngrams h = ngrams(hyp, n), r = ngrams(ref, n);
    size_t matched = 0, total = 0;
    for (const auto& [gram, count] : h) {
      total += count;
      const auto it = r.find(gram);
      if (it != r.end()) matched += std::min(count, it->second);
    }
    numerator[n] = double(matched);
    denominator[n] = double(std::max<size_t>(total, 1));
  }
  if (numerator[1] == 0) return 0;  // NLTK: no unigram in common scores 0, smoothing or not
  const double c = double(hyp.size()), r = double(ref.size());
  const double brevity = c > r ? 1.0 : std::exp(1 - r / c);
  double log_sum = 0;
  for (size_t n = 1; n <= 4; ++n) {
    const double p = numerator[n] > 0 ? numerator[n] / denominator[n] : 0.1 / denominator[n];  // method1
    log_sum += 0.25 * std::log(p);
  }
  return brevity * std::exp(log_sum);
}

}  // namespace clear_sweep
