// Token sequences and batches. A sequence is [BOS] [<image> x image_tokens] prompt and
// then the answer with EOS; labels keep only the answer tokens (everything else is
// kIgnoreLabel), so losses are over the answer alone, as CLEAR and TOFU compute them.
// The model replaces the <image> run with the image's projected patch embeddings.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "data/items.h"
#include "data/prompt_template.h"
#include "data/rng.h"
#include "data/tokenizer.h"

namespace clear_sweep {

class ChatTemplate;

inline constexpr int32_t kIgnoreLabel = -100;

struct Sequence {
  std::vector<int32_t> prompt;  ///< BOS, image placeholders, prompt tokens
  std::vector<int32_t> answer;  ///< answer tokens and EOS; empty for generation
  std::string image;            ///< the image the placeholders stand for ("" = none)
};

/// How a model reads an item: its prompt template (prompt_template.h), placeholders per
/// image and the placeholder's id. An int converts to the plain template with that many
/// placeholders.
struct PromptFormat {
  PromptFormat(int image_tokens = 0) : image_tokens(image_tokens) {}  // NOLINT: plain, by count
  PromptFormat(std::string template_name, int image_tokens, int32_t image_id)
      : template_name(std::move(template_name)), image_tokens(image_tokens), image_id(image_id) {}
  std::string template_name = kPlainPrompt;
  int image_tokens = 0;
  /// Where set, an image's placeholders by its path (Qwen2-VL: as many as its size gives),
  /// instead of image_tokens.
  std::function<int(const std::string& image)> image_tokens_of;
  int32_t image_id = -1;  ///< < 0: the tokenizer's <image>
  /// template_name "chat": the folder's template, its system turn and date_string.
  std::shared_ptr<const ChatTemplate> chat_template;
  std::string system_prompt, date_string;
  bool chat() const { return template_name != kPlainPrompt; }
  /// The placeholders of `image`.
  int placeholders(const std::string& image) const { return image_tokens_of ? image_tokens_of(image) : image_tokens; }
  /// Whether the model reads images (a text-only model's format has no placeholder).
  bool sees_images() const { return image_tokens > 0 || bool(image_tokens_of); }
  /// Where image_text is set (Idefics2), a chat template's image token is expanded in its
  /// text before tokenizing, as Idefics2Processor rewrites the prompt: each `image_marker`
  /// ("<image>") becomes `image_text` (its crops' <image> runs between
  /// `image_boundary` tokens), doubled boundaries are merged and a closing boundary
  /// followed by a word gets a space. Elsewhere the one image token's id is expanded.
  std::string image_marker, image_text, image_boundary;
};

/// `text` with image_marker expanded as PromptFormat says (Idefics2Processor's rewrite).
std::string expand_image_markers(const std::string& text, const PromptFormat& format);

/// One sequence. plain: [BOS] [<image> x N] prompt, then " " answer [EOS] (BOS and EOS
/// where the tokenizer has them: Qwen2's has no BOS). llava-1.5: the folder's chat
/// template (or llava-1.5's published one), the question as a processor passes it (with
/// its image), "USER: <image>\n{prompt} ASSISTANT:", tokenized as LlavaProcessor does
/// (BOS, the text after a placeholder a continuation, the placeholder expanded to N), then
/// " " answer [EOS]. chat (a folder's template): the prompt is the template's text for
/// [system,] user with the generation prompt, as apply_chat_template gives it, and the
/// answer is what the template adds for the assistant's turn (its end-of-turn tokens
/// included, as open-unlearning's labels have them). A text model's prompt has the
/// template's BOS, no other; a model that reads images gets its turns as lists of parts,
/// the tokenizer's BOS where the template gave none (a processor's apply_chat_template),
/// and its one image token expanded to the image's placeholders (Qwen2-VL) or the
/// template's image marker expanded in the text first (Idefics2, expand_image_markers).
/// Error naming the template's file where a conversation with its answer does not begin
/// with the prompt's text, where a template renders other than one image marker or token
/// per image, or where the tokenizer does not split the image tokens out.
Sequence make_sequence(const Tokenizer& tokenizer, const std::string& prompt, const std::string& answer,
                       const std::string& image, const PromptFormat& format);
/// The text a chat format's template gives the question alone (with the generation prompt
/// and, for LLaVA, one "<image>" where it has one); the plain template's prompt as it is.
std::string template_text(const PromptFormat& format, const std::string& prompt, bool has_image);
/// The prompt an item gives its template: the plain "Question: ...\nAnswer:" form, or
/// the bare question for a chat template.
const std::string& template_prompt(const ItemText& text, const PromptFormat& format);
/// The sequence of an item with its reference answer.
Sequence item_sequence(const Tokenizer& tokenizer, const ItemText& text, const PromptFormat& format);

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
