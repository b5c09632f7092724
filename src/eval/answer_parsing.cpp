#include "eval/answer_parsing.h"

#include <algorithm>
#include <cctype>

#include "eval/bleu.h"

namespace clear_sweep {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

/// The part after the first `marker`, as Python's text.split(marker)[1] (up to the next).
std::string after_first(const std::string& text, const std::string& marker) {
  const size_t start = text.find(marker) + marker.size();
  const size_t end = text.find(marker, start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

/// Python's str.strip(): Unicode whitespace off both ends.
std::string strip(const std::string& text) {
  const auto tokens = whitespace_tokens(text);
  if (tokens.empty()) return "";
  const size_t first = text.find(tokens.front());
  const size_t last = text.rfind(tokens.back()) + tokens.back().size();
  return text.substr(first, last - first);
}

}  // namespace

std::string assistant_response(const std::string& generation) {
  if (generation.find("ASSISTANT:") != std::string::npos) return strip(after_first(generation, "ASSISTANT:"));
  if (generation.find("Answer:") != std::string::npos) return strip(after_first(generation, "Answer:"));
  return strip(generation);
}

std::optional<char> choice_letter(const std::string& generation, const std::string& options) {
  // Classification looks for "ASSISTANT:" only; "Answer:" is the other tasks' fallback.
  const std::string response = generation.find("ASSISTANT:") != std::string::npos
                                   ? strip(after_first(generation, "ASSISTANT:"))
                                   : strip(generation);
  if (response.empty()) return std::nullopt;
  const char first = char(std::toupper(static_cast<unsigned char>(response[0])));
  if (static_cast<unsigned char>(response[0]) >= 0x80 || options.find(first) == std::string::npos) return std::nullopt;
  return first;
}

bool cloze_correct(const std::string& ground_truth, const std::string& answer) {
  return lower(answer).find(lower(ground_truth)) != std::string::npos;
}

}  // namespace clear_sweep
