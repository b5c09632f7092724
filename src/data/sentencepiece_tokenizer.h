// SentencePiece models (Llama-2's tokenizer.model) through Debian's libsentencepiece,
// reached through a small shim module opened in its own symbol namespace (see
// sentencepiece_shim.cpp for why). The folder adds tokens after the model's pieces
// (tokenizer_config.json's added_tokens_decoder, tokenizer.json's added_tokens where
// transformers 5 keeps them: llava-hf's <image> and <pad>, Idefics2's
// <fake_token_around_image>, <image> and <end_of_utterance>); where it has no <image> or
// padding token, <image> and <pad> are appended as LLaVA-1.5's tokenizer has them. The
// padding token is the folder's pad_token where the vocabulary has it (Idefics2's <unk>).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "data/tokenizer.h"

namespace clear_sweep {

class SentencePieceTokenizer : public Tokenizer {
 public:
  /// Loads a .model file; Error naming it when it is missing or not a SentencePiece model.
  explicit SentencePieceTokenizer(const std::string& model_path);
  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::string kind() const override { return "sentencepiece"; }
  /// With the dummy prefix, except where the folder's tokenizer_config.json says
  /// "legacy": false (llava-hf's, recent Llama-2 and Mistral folders) and the text begins
  /// with a space: then, as transformers' non-legacy Llama tokenizers (tokenizers'
  /// Metaspace, prepend "first"), its own space is the word start (" a" is "▁a").
  /// The added tokens in the text are split out first (their ids), as transformers does;
  /// encode_continuation's text has none (it is what follows one).
  std::vector<int32_t> encode(std::string_view text) const override;
  /// An added token's id (the model's own pieces are not looked up), or -1.
  int32_t token_id(const std::string& token) const override;
  std::vector<int32_t> encode_continuation(std::string_view text) const override;
  /// As transformers' Llama tokenizers decode with skip_special_tokens: unknown and
  /// control pieces and the special tokens skipped, "▁" as a space, each run of byte
  /// pieces as its text when the run is valid UTF-8 and as one U+FFFD per byte when not
  /// (tokenizers' ByteFallback), one leading space stripped.
  std::string decode(const std::vector<int32_t>& ids) const override;
  int32_t vocab_size() const override { return vocab_size_; }
  /// tokenizer.model, and tokenizer_config.json and tokenizer.json as they were read
  /// where there were ones.
  void save(const std::string& dir) const override;

  /// Where the shim module is looked for: CLEAR_SWEEP_SENTENCEPIECE_SHIM, then beside
  /// the running executable, then the build tree's copy.
  static std::string shim_path();

 private:
  /// `text` (no added tokens in it) through the model, as encode's rules say.
  std::vector<int32_t> encode_text(std::string_view text) const;

  void* processor_ = nullptr;
  std::string model_bytes_;
  int32_t pieces_ = 0;  ///< the model's own pieces
  enum class PieceKind : uint8_t { normal, unknown, control, byte, unused };
  std::vector<std::string> piece_text_;  ///< by id, the model's own pieces (a byte piece: its byte)
  std::vector<PieceKind> piece_kind_;
  int32_t vocab_size_ = 0;   ///< pieces plus the appended tokens
  bool legacy_ = true;       ///< tokenizer_config.json's "legacy" (transformers' default: true)
  std::string config_text_;  ///< tokenizer_config.json as read; empty where there was none
  std::string json_text_;    ///< tokenizer.json beside the model as read (its added tokens); empty where none
  std::vector<std::pair<std::string, int32_t>> added_;  ///< added tokens past the pieces, longest first
};

}  // namespace clear_sweep
