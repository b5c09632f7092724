#include "data/batch.h"

#include <algorithm>
#include <map>

#include "common/error.h"
#include "data/chat_template.h"

namespace clear_sweep {

std::string template_text(const PromptFormat& format, const std::string& prompt, bool has_image) {
  if (!format.chat()) return prompt;
  return std::string("USER: ") + (has_image ? "<image>\n" : "") + prompt + " ASSISTANT:";
}

const std::string& template_prompt(const ItemText& text, const PromptFormat& format) {
  return format.chat() ? text.question : text.prompt;
}

namespace {

/// make_sequence through a folder's chat template (batch.h).
Sequence chat_sequence(const Tokenizer& tokenizer, const std::string& prompt, const std::string& answer,
                       const std::string& image, const PromptFormat& format) {
  const ChatTemplate& chat = *format.chat_template;
  if (!image.empty())
    throw Error(SourceLocation{chat.origin()}, "prompt",
                "an item with an image under a text model's chat template (" + image + ")",
                "chat templates prompt text-only models; LLaVA folders use their llava-1.5 template");
  std::vector<ChatMessage> turns;
  if (!format.system_prompt.empty()) turns.push_back({"system", format.system_prompt});
  turns.push_back({"user", prompt});
  std::map<std::string, std::string> variables;
  if (!format.date_string.empty()) variables["date_string"] = format.date_string;
  Sequence s;
  const std::string asked = chat.render(turns, true, variables);
  s.prompt = tokenizer.encode(asked);
  if (answer.empty()) return s;
  turns.push_back({"assistant", answer});
  const std::string whole = chat.render(turns, false, variables);
  if (whole.compare(0, asked.size(), asked) != 0)
    throw Error(SourceLocation{chat.origin()}, "chat_template",
                "the conversation with its answer does not begin with the text the template gives the question "
                "alone (with the generation prompt), so the answer's tokens cannot be told apart",
                format.system_prompt.empty() ? "" : "some templates place the system prompt by position; try without");
  s.answer = tokenizer.encode(whole.substr(asked.size()));
  return s;
}

}  // namespace

Sequence make_sequence(const Tokenizer& tokenizer, const std::string& prompt, const std::string& answer,
                       const std::string& image, const PromptFormat& format) {
  Sequence s;
  s.image = image;
  const int32_t image_id = format.image_id >= 0 ? format.image_id : tokenizer.special().image;
  auto append = [&](std::vector<int32_t>& to, const std::vector<int32_t>& ids) {
    to.insert(to.end(), ids.begin(), ids.end());
  };
  if (format.chat_template) return chat_sequence(tokenizer, prompt, answer, image, format);
  if (tokenizer.special().bos >= 0) s.prompt.push_back(tokenizer.special().bos);  // Qwen2's have none
  if (!format.chat()) {
    if (!image.empty()) s.prompt.insert(s.prompt.end(), size_t(format.image_tokens), image_id);
    append(s.prompt, tokenizer.encode(prompt));
  } else if (image.empty()) {
    append(s.prompt, tokenizer.encode(template_text(format, prompt, false)));
  } else {
    // "USER: " <image> x N "\n{prompt} ASSISTANT:": the text after the placeholders is a
    // continuation (no dummy prefix), as the Llama tokenizer splits around special tokens.
    append(s.prompt, tokenizer.encode("USER: "));
    s.prompt.insert(s.prompt.end(), size_t(format.image_tokens), image_id);
    append(s.prompt, tokenizer.encode_continuation("\n" + prompt + " ASSISTANT:"));
  }
  if (!answer.empty()) {
    s.answer = format.chat() ? tokenizer.encode_continuation(" " + answer) : tokenizer.encode(" " + answer);
    if (tokenizer.special().eos >= 0) s.answer.push_back(tokenizer.special().eos);
  }
  return s;
}

Sequence item_sequence(const Tokenizer& tokenizer, const ItemText& text, const PromptFormat& format) {
  return make_sequence(tokenizer, template_prompt(text, format), text.answer, text.image, format);
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
