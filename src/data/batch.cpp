#include "data/batch.h"

#include <algorithm>

#include "common/error.h"

namespace clear_sweep {

Sequence make_sequence(const Tokenizer& tokenizer, const std::string& prompt, const std::string& answer,
                       const std::string& image, int image_tokens) {
  Sequence s;
  s.image = image;
  s.prompt.push_back(tokenizer.special().bos);
  if (!image.empty()) s.prompt.insert(s.prompt.end(), size_t(image_tokens), tokenizer.special().image);
  const auto prompt_ids = tokenizer.encode(prompt);
  s.prompt.insert(s.prompt.end(), prompt_ids.begin(), prompt_ids.end());
  if (!answer.empty()) {
    s.answer = tokenizer.encode(" " + answer);
    s.answer.push_back(tokenizer.special().eos);
  }
  return s;
}

Sequence item_sequence(const Tokenizer& tokenizer, const ItemText& text, int image_tokens) {
  return make_sequence(tokenizer, text.prompt, text.answer, text.image, image_tokens);
}

TokenBatch collate(const std::vector<Sequence>& sequences, int32_t pad_id, PadSide side, bool prompt_only) {
  TokenBatch b;
  b.rows = int64_t(sequences.size());
  for (const auto& s : sequences)
    b.length = std::max<int64_t>(b.length, int64_t(s.prompt.size() + (prompt_only ? 0 : s.answer.size())));
  const size_t cells = size_t(b.rows * b.length);
  b.input_ids.assign(cells, pad_id);
  b.labels.assign(cells, kIgnoreLabel);
  b.attention_mask.assign(cells, 0);
  b.position_ids.assign(cells, 0);
  for (size_t r = 0; r < sequences.size(); ++r) {
    const Sequence& s = sequences[r];
    const size_t used = s.prompt.size() + (prompt_only ? 0 : s.answer.size());
    const size_t start = side == PadSide::left ? size_t(b.length) - used : 0;
    int32_t* ids = &b.input_ids[r * size_t(b.length)];
    int32_t* labels = &b.labels[r * size_t(b.length)];
    uint8_t* mask = &b.attention_mask[r * size_t(b.length)];
    int32_t* positions = &b.position_ids[r * size_t(b.length)];
    for (size_t i = 0; i < used; ++i) {
      const bool in_answer = i >= s.prompt.size();
      ids[start + i] = in_answer ? s.answer[i - s.prompt.size()] : s.prompt[i];
      if (in_answer) labels[start + i] = ids[start + i];
      mask[start + i] = 1;
      positions[start + i] = int32_t(i);
    }
    b.images.push_back(s.image);
  }
  return b;
}

std::vector<size_t> pair_with_retain(size_t forget_count, size_t retain_count, Rng& rng) {
  CS_ASSERT(retain_count > 0 || forget_count == 0, "pairing forget items with an empty retain set");
  std::vector<size_t> pairs(forget_count);
  for (auto& p : pairs) p = size_t(rng.below(retain_count));
  return pairs;
}

std::vector<size_t> epoch_order(size_t n, uint64_t seed, int64_t epoch) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  Rng rng = Rng::stream(seed, "epoch_order", uint64_t(epoch));
  rng.shuffle(order);
  return order;
}

}  // namespace clear_sweep
