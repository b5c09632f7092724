#include "data/bpe_tokenizer.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/error.h"
#include "common/file_write.h"
#include "data/utf8.h"

namespace clear_sweep {
namespace {

constexpr const char* kFileName = "tokenizer.json";
constexpr const char* kTypeName = "clear-sweep-bpe";

enum class CharClass { letter, digit, space, other };

CharClass classify(unsigned char c) {
  // Bytes >= 0x80 (UTF-8 continuation and lead bytes) count as letters, so a non-ASCII
  // word stays one word.
  if (std::isalpha(c) || c >= 0x80) return CharClass::letter;
  if (std::isdigit(c)) return CharClass::digit;
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r') return CharClass::space;
  return CharClass::other;
}

struct PairHash {
  size_t operator()(const std::pair<int32_t, int32_t>& p) const {
    return std::hash<uint64_t>()((uint64_t(uint32_t(p.first)) << 32) | uint32_t(p.second));
  }
};

/// Replaces every non-overlapping (a, b), left to right, by `merged`.
void apply_merge(std::vector<int32_t>& symbols, int32_t a, int32_t b, int32_t merged) {
  size_t out = 0;
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i + 1 < symbols.size() && symbols[i] == a && symbols[i + 1] == b) {
      symbols[out++] = merged;
      ++i;
    } else {
      symbols[out++] = symbols[i];
    }
  }
  symbols.resize(out);
}

std::vector<int32_t> bytes_of(std::string_view word) {
  std::vector<int32_t> ids;
  for (unsigned char c : word) ids.push_back(BpeTokenizer::kFirstByte + c);
  return ids;
}

}  // namespace

std::vector<std::string> BpeTokenizer::split_words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    // A single space joins the word after it, as in " Lisbon".
    if (text[i] == ' ' && i + 1 < text.size() && classify(text[i + 1]) != CharClass::space) ++i;
    const CharClass cls = classify(text[i]);
    ++i;
    if (cls == CharClass::letter)
      while (i < text.size() && classify(text[i]) == CharClass::letter) ++i;
    words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

BpeTokenizer::BpeTokenizer(std::vector<std::pair<int32_t, int32_t>> merges) : merges_(std::move(merges)) {
  pieces_.assign(kFirstByte, std::string());
  for (int c = 0; c < 256; ++c) pieces_.push_back(std::string(1, char(c)));
  for (size_t i = 0; i < merges_.size(); ++i) {
    const auto [a, b] = merges_[i];
    rank_[merges_[i]] = int32_t(i);
    pieces_.push_back(pieces_.at(size_t(a)) + pieces_.at(size_t(b)));
  }
  special_ = SpecialTokens{0, 1, 2, 3};
}

BpeTokenizer BpeTokenizer::train(const std::vector<std::string>& corpus, int32_t vocab_size) {
  CS_ASSERT(vocab_size >= kFirstMerge, "BPE vocabulary smaller than the byte alphabet");
  std::unordered_map<std::string, int64_t> word_counts;
  for (const auto& text : corpus)
    for (auto& w : split_words(text)) ++word_counts[w];
  // Sorted unique words: the same corpus gives the same training order.
  std::vector<std::pair<std::string, int64_t>> sorted(word_counts.begin(), word_counts.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<int32_t>> words;
  std::vector<int64_t> counts;
  for (auto& [w, n] : sorted) {
    words.push_back(bytes_of(w));
    counts.push_back(n);
  }

  std::vector<std::pair<int32_t, int32_t>> merges;
  std::unordered_map<std::pair<int32_t, int32_t>, int64_t, PairHash> pair_counts;
  while (kFirstMerge + int32_t(merges.size()) < vocab_size) {
    pair_counts.clear();
    for (size_t w = 0; w < words.size(); ++w)
      for (size_t i = 0; i + 1 < words[w].size(); ++i) pair_counts[{words[w][i], words[w][i + 1]}] += counts[w];
    std::pair<int32_t, int32_t> best{-1, -1};
    int64_t best_count = 1;  // a pair must occur at least twice to be worth an id
    for (const auto& [pair, n] : pair_counts)
      if (n > best_count || (n == best_count && best.first >= 0 && pair < best)) {
        best = pair;
        best_count = n;
      }
    if (best.first < 0) break;
    const int32_t merged = kFirstMerge + int32_t(merges.size());
    merges.push_back(best);
    for (auto& word : words) apply_merge(word, best.first, best.second, merged);
  }
  return BpeTokenizer(std::move(merges));
}

std::vector<int32_t> BpeTokenizer::encode_word(std::string_view word) const {
  std::vector<int32_t> symbols = bytes_of(word);
  // Merge the lowest-ranked adjacent pair until none is left: the order training used.
  while (symbols.size() > 1) {
    int32_t best_rank = INT32_MAX;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const auto it = rank_.find({symbols[i], symbols[i + 1]});
      if (it != rank_.end() && it->second < best_rank) best_rank = it->second;
    }
    if (best_rank == INT32_MAX) break;
    const auto [a, b] = merges_[size_t(best_rank)];
    apply_merge(symbols, a, b, kFirstMerge + best_rank);
  }
  return symbols;
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  for (const auto& word : split_words(text)) {
    const auto part = encode_word(word);
    ids.insert(ids.end(), part.begin(), part.end());
  }
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string bytes;
  for (int32_t id : ids)
    if (id >= kFirstByte && id < vocab_size()) bytes += pieces_[size_t(id)];
  // As a byte-level decoder does (tokenizers' ByteLevel): bytes that are not UTF-8 (a
  // generation cut inside a character, a run of stray byte tokens) become U+FFFD.
  return utf8_lossy(bytes);
}

void BpeTokenizer::save(const std::string& dir) const {
  nlohmann::ordered_json j;
  j["type"] = kTypeName;
  j["version"] = 1;
  j["special"] = {{"pad", special_.pad}, {"bos", special_.bos}, {"eos", special_.eos}, {"image", special_.image}};
  j["first_byte"] = kFirstByte;
  j["merges"] = nlohmann::json::array();
  for (const auto& [a, b] : merges_) j["merges"].push_back({a, b});
  const std::string path = (std::filesystem::path(dir) / kFileName).string();
  write_file(path, j.dump() + "\n");
}

BpeTokenizer BpeTokenizer::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(SourceLocation{path}, "tokenizer", "cannot open the tokenizer file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or a number that overflows
    throw Error(SourceLocation{path}, "tokenizer", std::string("not JSON: ") + e.what());
  }
  // Fields are type-checked before they are read: nlohmann throws type_error for a
  // string where a number should be (found by fuzz/fuzz_tokenizer).
  const auto type = j.is_object() ? j.find("type") : j.end();
  if (type == j.end() || !type->is_string() || type->get<std::string>() != kTypeName)
    throw Error(SourceLocation{path}, "type",
                std::string("not a clear-sweep BPE tokenizer (type must be \"") + kTypeName + "\")");
  auto integer = [&](const char* key) -> int64_t {
    const auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
  };
  if (integer("version") != 1 || integer("first_byte") != kFirstByte)
    throw Error(SourceLocation{path}, "version", "unsupported tokenizer version", "retrain the tokenizer");
  std::vector<std::pair<int32_t, int32_t>> merges;
  const auto& list = j["merges"];
  if (!list.is_array()) throw Error(SourceLocation{path}, "merges", "expected a list of [a, b] pairs");
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& m = list[i];
    const int32_t next = kFirstMerge + int32_t(i);
    if (!m.is_array() || m.size() != 2 || !m[0].is_number_integer() || !m[1].is_number_integer() ||
        m[0].get<int64_t>() < kFirstByte || m[1].get<int64_t>() < kFirstByte || m[0].get<int64_t>() >= next ||
        m[1].get<int64_t>() >= next)
      throw Error(SourceLocation{path}, "merges[" + std::to_string(i) + "]",
                  "expected a pair of earlier token ids, got " + m.dump());
    merges.emplace_back(m[0].get<int32_t>(), m[1].get<int32_t>());
  }
  return BpeTokenizer(std::move(merges));
}

}  // namespace clear_sweep
