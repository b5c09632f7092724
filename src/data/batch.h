// Token sequences and batches. A sequence is [BOS] [<image> x image_tokens] prompt and
// then the answer with EOS; labels keep only the answer tokens (everything else is
// kIgnoreLabel), so losses are over the answer alone, as CLEAR and TOFU compute them.
// The model replaces the <image> run with the image's projected patch embeddings.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/items.h"
#include "data/rng.h"
#include "data/tokenizer.h"

namespace clear_sweep {

inline constexpr int32_t kIgnoreLabel = -100;

struct Sequence {
  std::vector<int32_t> prompt;  ///< BOS, image placeholders, prompt tokens
  std::vector<int32_t> answer;  ///< answer tokens and EOS; empty for generation
  std::string image;            ///< the image the placeholders stand for ("" = none)
};

/// One sequence; `answer` gets a leading space so it tokenizes as it follows the prompt.
Sequence make_sequence(const Tokenizer& tokenizer, const std::string& prompt, const std::string& answer,
                       const std::string& image, int image_tokens);
/// The sequence of an item with its reference answer.
Sequence item_sequence(const Tokenizer& tokenizer, const ItemText& text, int image_tokens);

enum class PadSide { right, left };

/// Rows padded to one length, row-major [rows x length].
struct TokenBatch {
  int64_t rows = 0;
  int64_t length = 0;
  std::vector<int32_t> input_ids;
  std::vector<int32_t> labels;          ///< answer tokens, else kIgnoreLabel
  std::vector<uint8_t> attention_mask;  ///< 1 for real tokens, 0 for padding
  std::vector<int32_t> position_ids;    ///< 0.. over real tokens (left padding shifts them)
  std::vector<std::string> images;      ///< per row; "" = none
};

/// Pads sequences into a batch. Right padding for training and scoring; left padding for
/// generation, so every row's next token is at the end. With `prompt_only`, answers are
/// left out (generation inputs).
TokenBatch collate(const std::vector<Sequence>& sequences, int32_t pad_id, PadSide side, bool prompt_only = false);

/// CLEAR's pairing: each forget item is paired with a retain item drawn at random.
std::vector<size_t> pair_with_retain(size_t forget_count, size_t retain_count, Rng& rng);

/// The order an epoch visits `n` items: a permutation fixed by (seed, epoch).
std::vector<size_t> epoch_order(size_t n, uint64_t seed, int64_t epoch);

}  // namespace clear_sweep
