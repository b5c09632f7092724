#include "eval/rouge.h"

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
  // rouge_score's scoring.fmeasure: 2PR / (P + R), 0 when both are 0.
  s.fmeasure = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
  return s;
}

}  // namespace clear_sweep
