#include "data/batch.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/error.h"
#include "data/chat_template.h"

namespace clear_sweep {

namespace {
const std::string kImageMarker = "<image>";  // what LLaVA's template renders per image

/// The question an error is about, cut to a line.
std::string quoted(const std::string& question) {
  const std::string line = question.substr(0, std::min(question.find('\n'), size_t(60)));
  return "\"" + line + (line.size() < question.size() ? "...\"" : "\"");
}

/// The placeholder id: the format's, else the tokenizer's <image>.
int32_t image_token(const PromptFormat& format, const Tokenizer& tokenizer) {
  return format.image_id >= 0 ? format.image_id : tokenizer.special().image;
}

/// The template a chat format renders through: the folder's, or llava-1.5's published
/// one for LLaVA folders that have none.
std::shared_ptr<const ChatTemplate> template_of(const PromptFormat& format) {
  if (format.chat_template) return format.chat_template;
  CS_ASSERT(format.template_name == kLlava15Prompt, "a chat prompt without its template");
  return ChatTemplate::llava15();
}

/// The turns before the answer: the system prompt where set, the question as the user's
/// turn (as a processor passes it, with its image, for a model that reads images; as a
/// string for a text-only model).
std::vector<ChatMessage> question_turns(const PromptFormat& format, const std::string& prompt, bool has_image) {
  std::vector<ChatMessage> turns;
  if (!format.system_prompt.empty()) turns.push_back({"system", format.system_prompt, -1});
  turns.push_back({"user", prompt, format.sees_images() ? (has_image ? 1 : 0) : -1});
  return turns;
}

std::map<std::string, std::string> template_variables(const PromptFormat& format) {
  std::map<std::string, std::string> variables;
  if (!format.date_string.empty()) variables["date_string"] = format.date_string;
  return variables;
}

/// Where a format expands its image marker in the text (Idefics2): the template rendered
/// one marker per image, and the tokenizer split the expansion's image tokens out as the
/// model's ids; an Error naming the template's file or the tokenizer's added tokens.
void check_expanded_images(const Tokenizer& tokenizer, const std::string& asked, const std::string& image,
                           const PromptFormat& format, const std::string& prompt, const std::vector<int32_t>& ids,
                           const std::string& origin) {
  size_t rendered = 0;
  for (size_t at = asked.find(format.image_marker); at != std::string::npos;
       at = asked.find(format.image_marker, at + format.image_marker.size()))
    ++rendered;
  if (rendered != (image.empty() ? 0u : 1u))
    throw Error(SourceLocation{origin}, "chat_template",
                "rendered " + std::to_string(rendered) + " image markers for " + (image.empty() ? "no image" : "one") +
                    " (question " + quoted(prompt) + ")",
                "the template places one \"" + format.image_marker + "\" per image of the turn");
  const int32_t image_id = image_token(format, tokenizer);
  const auto placed = std::count(ids.begin(), ids.end(), image_id);
  const int expected = image.empty() ? 0 : format.placeholders(image);
  if (placed != expected)
    throw Error(SourceLocation{origin}, "added_tokens",
                "the tokenizer gives " + std::to_string(placed) + " image tokens (id " + std::to_string(image_id) +
                    ") where the prompt holds " + std::to_string(expected),
                "the folder's tokenizer needs \"" + format.image_marker + "\" and \"" + format.image_boundary +
                    "\" as added tokens (tokenizer_config.json's added_tokens_decoder or tokenizer.json's "
                    "added_tokens), the first with config.json's image_token_id");
}

/// make_sequence through a chat template (batch.h).
Sequence chat_sequence(const Tokenizer& tokenizer, const std::string& prompt, const std::string& answer,
                       const std::string& image, const PromptFormat& format) {
  const std::shared_ptr<const ChatTemplate> chat = template_of(format);
  std::vector<ChatMessage> turns = question_turns(format, prompt, !image.empty());
  const auto variables = template_variables(format);
  const std::string asked = chat->render(turns, true, variables);
  Sequence s;
  s.image = image;
  if (format.template_name == kLlava15Prompt && !format.image_text.empty()) {
    // LLaVA-1.5's text through Idefics2Processor (MLLMU-Bench's evaluation of Idefics2): the
    // marker expanded in the text, BOS, the whole text tokenized; the answer as LLaVA's.
    const std::string expanded = expand_image_markers(asked, format);
    if (tokenizer.special().bos >= 0) s.prompt.push_back(tokenizer.special().bos);
    const auto ids = tokenizer.encode(expanded);
    s.prompt.insert(s.prompt.end(), ids.begin(), ids.end());
    check_expanded_images(tokenizer, asked, image, format, prompt, s.prompt, chat->origin());
    if (!answer.empty()) {
      s.answer = tokenizer.encode_continuation(" " + answer);
      if (tokenizer.special().eos >= 0) s.answer.push_back(tokenizer.special().eos);
    }
    return s;
  }
  if (format.template_name == kLlava15Prompt) {
    // As LlavaProcessor tokenizes the rendered text: BOS, then the text around each
    // "<image>", the one after a placeholder a continuation (no dummy prefix), as the
    // Llama tokenizer splits around special tokens; the placeholder expanded to N.
    const int32_t image_id = image_token(format, tokenizer);
    if (tokenizer.special().bos >= 0) s.prompt.push_back(tokenizer.special().bos);
    size_t from = 0, images = 0;
    for (size_t at; (at = asked.find(kImageMarker, from)) != std::string::npos; from = at + kImageMarker.size()) {
      const auto ids = from == 0 ? tokenizer.encode(asked.substr(0, at))
                                 : tokenizer.encode_continuation(asked.substr(from, at - from));
      s.prompt.insert(s.prompt.end(), ids.begin(), ids.end());
      s.prompt.insert(s.prompt.end(), size_t(format.placeholders(image)), image_id);
      ++images;
    }
    const auto rest = from == 0 ? tokenizer.encode(asked) : tokenizer.encode_continuation(asked.substr(from));
    s.prompt.insert(s.prompt.end(), rest.begin(), rest.end());
    if (images != (image.empty() ? 0u : 1u))
      throw Error(SourceLocation{chat->origin()}, "chat_template",
                  "rendered " + std::to_string(images) + " image markers for " + (image.empty() ? "no image" : "one") +
                      " (question " + quoted(prompt) + ")",
                  "a LLaVA template places one \"<image>\" per image of the turn");
    // The answer as LLaVA-1.5 is finetuned on it (and CLEAR trains it): " {answer}</s>".
    if (!answer.empty()) {
      s.answer = tokenizer.encode_continuation(" " + answer);
      if (tokenizer.special().eos >= 0) s.answer.push_back(tokenizer.special().eos);
    }
    return s;
  }
  if (!image.empty() && !format.sees_images())
    throw Error(SourceLocation{chat->origin()}, "prompt",
                "an item with an image under a text model's chat template (" + image + ")",
                "a text-only model reads no image");
  const bool text_expanded = format.sees_images() && !format.image_text.empty();
  s.prompt = tokenizer.encode(text_expanded ? expand_image_markers(asked, format) : asked);
  if (format.sees_images()) {
    // A processor's apply_chat_template adds the tokenizer's BOS unless the template gave
    // it (Idefics2's has none); a text model's prompt has the template's BOS, no other.
    const int32_t bos = tokenizer.special().bos;
    if (bos >= 0 && (s.prompt.empty() || s.prompt.front() != bos)) s.prompt.insert(s.prompt.begin(), bos);
  }
  if (text_expanded) {
    check_expanded_images(tokenizer, asked, image, format, prompt, s.prompt, chat->origin());
  } else if (format.sees_images()) {
    // As Qwen2VLProcessor: the template renders one image token per image (its
    // <|vision_start|><|image_pad|><|vision_end|>), which becomes the image's placeholders.
    const int32_t image_id = image_token(format, tokenizer);
    const auto at = std::find(s.prompt.begin(), s.prompt.end(), image_id);
    const auto rendered = std::count(s.prompt.begin(), s.prompt.end(), image_id);
    if (rendered != (image.empty() ? 0 : 1))
      throw Error(SourceLocation{chat->origin()}, "chat_template",
                  "rendered " + std::to_string(rendered) + " image tokens for " + (image.empty() ? "no image" : "one") +
                      " (question " + quoted(prompt) + ")",
                  "the template places one image token per image of the turn");
    if (!image.empty()) s.prompt.insert(s.prompt.erase(at), size_t(format.placeholders(image)), image_id);
  }
  if (answer.empty()) return s;
  // As a processor is handed the conversation: a model that reads images gets every turn as
  // a list of parts (Idefics2's template reads content[0]["type"]).
  turns.push_back({"assistant", answer, format.sees_images() ? 0 : -1});
  const std::string whole = chat->render(turns, false, variables);
  if (whole.compare(0, asked.size(), asked) != 0)
    throw Error(SourceLocation{chat->origin()}, "chat_template",
                "the conversation with its answer does not begin with the text the template gives the question " +
                    quoted(prompt) + " alone (with the generation prompt), so the answer's tokens cannot be told apart",
                format.system_prompt.empty() ? "" : "some templates place the system prompt by position; try without");
  s.answer = tokenizer.encode(whole.substr(asked.size()));
  return s;
}

}  // namespace

namespace {

/// Python's str.replace: every `from` in `text`, left to right without overlaps, by `to`.
std::string replace_all(const std::string& text, const std::string& from, const std::string& to) {
  std::string out;
  for (size_t at = 0;;) {
    const size_t found = text.find(from, at);
    out.append(text, at, found == std::string::npos ? std::string::npos : found - at);
    if (found == std::string::npos) return out;
    out += to;
    at = found + from.size();
  }
}

}  // namespace

std::string expand_image_markers(const std::string& text, const PromptFormat& format) {
  CS_ASSERT(!format.image_marker.empty() && !format.image_boundary.empty(), "an image expansion without its tokens");
  const std::string& b = format.image_boundary;
  // Two boundaries in a row (adjacent images, or crops) become one.
  const std::string merged = replace_all(replace_all(text, format.image_marker, format.image_text), b + b, b);
  // A boundary followed by anything but whitespace or '<' gets a space after it.
  std::string spaced;
  for (size_t from = 0;;) {
    const size_t at = merged.find(b, from);
    if (at == std::string::npos) {
      spaced.append(merged, from, std::string::npos);
      break;
    }
    spaced.append(merged, from, at + b.size() - from);
    from = at + b.size();
    if (from < merged.size() && !std::isspace(static_cast<unsigned char>(merged[from])) && merged[from] != '<')
      spaced += ' ';
  }
  return spaced;
}

std::string template_text(const PromptFormat& format, const std::string& prompt, bool has_image) {
  if (!format.chat()) return prompt;
  return template_of(format)->render(question_turns(format, prompt, has_image), true, template_variables(format));
}

const std::string& template_prompt(const ItemText& text, const PromptFormat& format) {
  return format.chat() ? text.question : text.prompt;
}

namespace {

/// make_sequence through the plain template: [BOS] [<image> x N] prompt, then " " answer [EOS].
Sequence plain_sequence(const Tokenizer& tokenizer, const std::string& prompt, const std::string& answer,
                        const std::string& image, const PromptFormat& format) {
  Sequence s;
  s.image = image;
  const int32_t image_id = image_token(format, tokenizer);
  if (tokenizer.special().bos >= 0) s.prompt.push_back(tokenizer.special().bos);  // Qwen2's have none
  if (!image.empty()) s.prompt.insert(s.prompt.end(), size_t(format.placeholders(image)), image_id);
  const auto question = tokenizer.encode(prompt);
  s.prompt.insert(s.prompt.end(), question.begin(), question.end());
  if (!answer.empty()) {
    s.answer = tokenizer.encode(" " + answer);
    if (tokenizer.special().eos >= 0) s.answer.push_back(tokenizer.special().eos);
  }
  return s;
}

}  // namespace

Sequence make_sequence(const Tokenizer& tokenizer, const std::string& prompt, const std::string& answer,
                       const std::string& image, const PromptFormat& format) {
  Sequence s = format.chat() ? chat_sequence(tokenizer, prompt, answer, image, format)
                             : plain_sequence(tokenizer, prompt, answer, image, format);
  if (format.sees_images()) {
    // The image's placeholders are the only image tokens: a question or answer whose text
    // holds the token's own text (Qwen's "<|image_pad|>") would ask for an image not there.
    const int32_t image_id = image_token(format, tokenizer);
    const auto in_prompt = std::count(s.prompt.begin(), s.prompt.end(), image_id);
    const bool stray = in_prompt != (image.empty() ? 0 : format.placeholders(image)) ||
                       std::count(s.answer.begin(), s.answer.end(), image_id) > 0;
    if (stray)
      throw Error(SourceLocation{}, "question",
                  "the text of the question " + quoted(prompt) + " or its answer holds the image token's text",
                  "image tokens come only from an item's image");
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
