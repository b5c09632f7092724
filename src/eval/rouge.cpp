#include "eval/rouge.h"

#include <algorithm>
#include <map>

#include "eval/porter_stemmer.h"

namespace clear_sweep {
namespace {

/// Length of the UTF-8 sequence starting with `lead` (1 for bytes that are not leads).
size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

/// rouge_score's scoring.fmeasure: 2PR / (P + R), 0 when both are 0.
double fmeasure(double precision, double recall) {
  return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
}

std::map<std::vector<std::string>, size_t> ngram_counts(const std::vector<std::string>& tokens, int n) {
  std::map<std::vector<std::string>, size_t> counts;
  for (size_t i = 0; i + size_t(n) <= tokens.size(); ++i)
    ++counts[std::vector<std::string>(tokens.begin() + long(i), tokens.begin() + long(i) + n)];
  return counts;
}

}  // namespace

std::vector<std::string> rouge_tokenize(const std::string& text, bool stem) {
  // Python's str.lower() then re.sub("[^a-z0-9]+", " "): every non-ASCII character is a
  // separator, except the two whose lower case is ASCII: KELVIN SIGN (U+212A) -> "k" and
  // LATIN CAPITAL I WITH DOT (U+0130) -> "i" + a combining dot (a separator).
  std::string lowered;
  lowered.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      lowered += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : char(c);
      ++i;
      continue;
    }
    const size_t n = utf8_length(c);
    const std::string ch = text.substr(i, n);
    if (ch == "\xE2\x84\xAA")
      lowered += 'k';
    else if (ch == "\xC4\xB0")
      lowered += "i ";
    else
      lowered += ' ';
    i += n;
  }
  std::vector<std::string> tokens;
  std::string current;
  auto flush = [&] {
    if (current.empty()) return;
    tokens.push_back(stem && current.size() > 3 ? porter_stem(current) : current);
    current.clear();
  };
  for (char c : lowered) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
      current += c;
    else
      flush();
  }
  flush();
  // rouge_score keeps only tokens matching ^[a-z0-9]+$; a stem is never empty here.
  return tokens;
}

size_t lcs_length(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<size_t> previous(b.size() + 1, 0), row(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j)
      row[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : std::max(previous[j], row[j - 1]);
    std::swap(previous, row);
  }
  return previous[b.size()];
}

RougeScore rouge_l(const std::string& reference, const std::string& prediction, bool stem) {
  const auto ref = rouge_tokenize(reference, stem);
  const auto pred = rouge_tokenize(prediction, stem);
  RougeScore s;
  if (ref.empty() || pred.empty()) return s;
  const double lcs = double(lcs_length(ref, pred));
  s.precision = lcs / double(pred.size());
  s.recall = lcs / double(ref.size());
  s.fmeasure = fmeasure(s.precision, s.recall);
  return s;
}

RougeScore rouge_n(const std::string& reference, const std::string& prediction, int n, bool stem) {
  const auto ref = ngram_counts(rouge_tokenize(reference, stem), n);
  const auto pred = ngram_counts(rouge_tokenize(prediction, stem), n);
  size_t overlap = 0, ref_total = 0, pred_total = 0;
  for (const auto& [gram, count] : ref) {
    ref_total += count;
    const auto it = pred.find(gram);
    if (it != pred.end()) overlap += std::min(count, it->second);
  }
  for (const auto& [gram, count] : pred) pred_total += count;
  RougeScore s;
  s.precision = double(overlap) / double(std::max<size_t>(pred_total, 1));
  s.recall = double(overlap) / double(std::max<size_t>(ref_total, 1));
  s.fmeasure = fmeasure(s.precision, s.recall);
  return s;
}

}  // namespace clear_sweep
