// Text <-> token ids. Three implementations: a byte-level BPE trained from the dataset's
// own text for the from-scratch models (bpe_tokenizer.h), SentencePiece models for
// Llama-2-family checkpoints (sentencepiece_tokenizer.h), and Hugging Face's
// tokenizer.json byte-level BPE for Llama-3 and Qwen2 (hf_bpe_tokenizer.h). A tokenizer
// lives in the model folder beside the weights and is found there by load_tokenizer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace clear_sweep {

struct SpecialTokens {
  int32_t pad = 0;
  int32_t bos = 1;
  int32_t eos = 2;
  int32_t image = 3;  ///< placeholder the model replaces with the image's patch embeddings
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  /// "bpe", "sentencepiece" or "hf-bpe".
  virtual std::string kind() const = 0;
  /// Ids of `text`, without BOS / EOS.
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
  /// Ids of `text` that follows a special token or earlier text in the same string: no
  /// word-start marker is added in front (SentencePiece's dummy prefix), as Hugging
  /// Face's Llama tokenizers (legacy=False) split a text around its special tokens.
  virtual std::vector<int32_t> encode_continuation(std::string_view text) const { return encode(text); }
  /// The text of `ids`; special tokens are skipped.
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;
  /// Every id is below this, special tokens included.
  virtual int32_t vocab_size() const = 0;
  /// Writes the tokenizer's file into `dir` (tokenizer.json or tokenizer.model).
  virtual void save(const std::string& dir) const = 0;

  /// The id of an added or special token's text, or -1 where the tokenizer has none.
  virtual int32_t token_id(const std::string& /*token*/) const { return -1; }
  /// The ids that end an answer besides EOS: a chat template's end of turn the tokenizer
  /// has as a token of its own (Idefics2's <end_of_utterance>).
  std::vector<int32_t> end_of_turn_ids() const;

  const SpecialTokens& special() const { return special_; }
  bool is_special(int32_t id) const {
    return id == special_.pad || id == special_.bos || id == special_.eos || id == special_.image;
  }

 protected:
  SpecialTokens special_;
};

/// The tokenizer saved in a model folder: tokenizer.model (SentencePiece), else
/// tokenizer.json (Hugging Face's, or ours). Throws Error naming the folder where there
/// is neither.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir);

}  // namespace clear_sweep
