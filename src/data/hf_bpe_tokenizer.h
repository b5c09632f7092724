// Hugging Face's byte-level BPE, as a model folder's tokenizer.json describes it
// (Llama-3, Qwen2 and Qwen2.5, GPT-2 shaped tokenizers), computed as the `tokenizers`
// library computes it: added tokens split out first, the normalizer (none or NFC), the
// pre-tokenizer's regex (Unicode classes, by PCRE2) or GPT-2's, bytes mapped to
// GPT-2's printable characters, merges by rank (or a whole word taken as is where
// `ignore_merges`), ids from the vocabulary. Anything else in the file is refused,
// naming the key.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "data/tokenizer.h"

namespace clear_sweep {

class PieceRegex;

class HfBpeTokenizer : public Tokenizer {
 public:
  /// Reads tokenizer.json, and tokenizer_config.json beside it for the BOS, EOS and
  /// padding tokens where there is one. Error naming the file and key.
  static std::unique_ptr<HfBpeTokenizer> load(const std::string& path);
  /// load, where `path` is a Hugging Face tokenizer.json (it has a "model" section); null
  /// where it is not (clear-sweep's own BPE file). The file is read and parsed once.
  static std::unique_ptr<HfBpeTokenizer> load_if_hf(const std::string& path);
  ~HfBpeTokenizer() override;

  std::string kind() const override { return "hf-bpe"; }
  std::vector<int32_t> encode(std::string_view text) const override;
  /// Special (added) tokens skipped; the bytes as text, ill-formed parts as U+FFFD.
  std::string decode(const std::vector<int32_t>& ids) const override;
  int32_t vocab_size() const override { return vocab_size_; }
  /// The files as they were read: tokenizer.json, and tokenizer_config.json where there
  /// was one (a finetune's folder keeps its BOS, EOS and padding).
  void save(const std::string& dir) const override;

  /// The id of a token's text (vocabulary or added token), or -1.
  int32_t token_id(const std::string& token) const override;

 private:
  HfBpeTokenizer() = default;
  std::vector<std::string> pre_tokenize(const std::string& normalized) const;
  void encode_word(const std::string& word, std::vector<int32_t>& out) const;

  std::string source_, text_;
  std::string config_text_;  ///< tokenizer_config.json as read; empty where there was none
  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> pieces_;  ///< by id
  std::map<std::pair<std::string, std::string>, int32_t> merge_rank_;
  bool ignore_merges_ = false;
  bool nfc_ = false;
  std::vector<std::unique_ptr<PieceRegex>> splits_;  ///< Split pre-tokenizers, in order
  bool add_prefix_space_ = false;
  std::vector<std::pair<std::string, int32_t>> added_;  ///< longest first
  std::set<int32_t> special_ids_;
  int32_t vocab_size_ = 0;
};

}  // namespace clear_sweep
