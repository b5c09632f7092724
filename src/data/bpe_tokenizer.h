// Byte-level BPE for models trained from scratch: any UTF-8 (or any bytes) round-trips,
// so no text is ever "unknown". Pre-tokenisation splits words (with their leading
// space), single digits and single punctuation marks, as Llama's tokenizer splits digits.
// Ids: 0 <pad>, 1 <bos>, 2 <eos>, 3 <image>, 4..259 the bytes, then one id per merge.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "data/tokenizer.h"

namespace clear_sweep {

class BpeTokenizer : public Tokenizer {
 public:
  static constexpr int32_t kFirstByte = 4;
  static constexpr int32_t kFirstMerge = kFirstByte + 256;

  /// Learns merges from `corpus` until the vocabulary has `vocab_size` ids or no pair
  /// occurs twice. Ties go to the smallest pair, so training is deterministic.
  static BpeTokenizer train(const std::vector<std::string>& corpus, int32_t vocab_size);
  /// Reads tokenizer.json; Error naming the file on anything malformed.
  static BpeTokenizer load(const std::string& path);

  std::string kind() const override { return "bpe"; }
  std::vector<int32_t> encode(std::string_view text) const override;
  /// The ids' bytes as text, each ill-formed UTF-8 part replaced by U+FFFD (utf8_lossy).
  std::string decode(const std::vector<int32_t>& ids) const override;
  int32_t vocab_size() const override { return int32_t(pieces_.size()); }
  void save(const std::string& dir) const override;

  /// The bytes a token stands for ("" for special tokens).
  const std::string& piece(int32_t id) const { return pieces_.at(size_t(id)); }
  const std::vector<std::pair<int32_t, int32_t>>& merges() const { return merges_; }

  /// Pre-tokenisation, exposed for tests.
  static std::vector<std::string> split_words(std::string_view text);

 private:
  explicit BpeTokenizer(std::vector<std::pair<int32_t, int32_t>> merges);
  std::vector<int32_t> encode_word(std::string_view word) const;

  std::vector<std::pair<int32_t, int32_t>> merges_;  ///< merge i makes id kFirstMerge + i
  std::map<std::pair<int32_t, int32_t>, int32_t> rank_;
  std::vector<std::string> pieces_;
};

}  // namespace clear_sweep
