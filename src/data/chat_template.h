// A model folder's chat template: the Jinja text transformers' apply_chat_template renders
// (chat_template.jinja, chat_template.json's "chat_template", or tokenizer_config.json's
// "chat_template"), rendered here by minja (third_party/minja) with what transformers
// hands the template: messages, add_generation_prompt, the special tokens by name,
// raise_exception (not strftime_now: a render must not depend on the day, so a template
// that asks it takes its own fallback, as Llama-3.2's "26 Jul 2024"; give date_string).
// One difference from jinja2: transformers passes
// tools=None and documents=None, and minja takes a none for undefined, so `tools is
// defined` alone differs; the hub's templates test `is defined and is not none` or
// `is not none`, which agree.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace clear_sweep {

struct ChatMessage {
  std::string role;  ///< "system", "user", "assistant"
  std::string content;
  /// >= 0: the content as a processor passes it, [{"type": "image"} x images,
  /// {"type": "text", "text": content}] (LLaVA's templates read that); -1: the string.
  int images = -1;
};

class ChatTemplate {
 public:
  /// The folder's template, or null where it has none. Error naming the file and key
  /// where one is there but unreadable, or not Jinja the engine parses.
  static std::unique_ptr<ChatTemplate> load(const std::string& dir);
  /// llava-hf/llava-1.5-7b-hf's published template (tests/model/fixtures holds the same
  /// text), for LLaVA-1.5 folders that have none: "USER: <image>\n{text} ASSISTANT:".
  static std::shared_ptr<const ChatTemplate> llava15();
  ~ChatTemplate();

  /// apply_chat_template(messages, tokenize=False, add_generation_prompt=..., **variables)'s
  /// text: `variables` are the template's keyword arguments (Llama-3's date_string).
  /// Error naming the template's file where it raises (raise_exception) or fails.
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                     const std::map<std::string, std::string>& variables = {}) const;
  /// Where the template came from ("DIR/tokenizer_config.json").
  const std::string& origin() const;

 private:
  struct Impl;
  explicit ChatTemplate(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace clear_sweep
