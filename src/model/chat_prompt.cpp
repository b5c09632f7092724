#include "model/chat_prompt.h"

#include "common/error.h"
#include "data/chat_template.h"

namespace clear_sweep {

void use_prompt(Vlm& model, const Tokenizer& tokenizer, const std::string& dir, const std::string& prompt,
                const std::string& system_prompt, const std::string& date_string, const std::string& key) {
  if (prompt != kChatPrompt && (!system_prompt.empty() || !date_string.empty()))
    throw Error(SourceLocation{dir}, key, "a system prompt or date_string without \"chat\"",
                "they are the chat template's; the plain template has neither");
  if (prompt.empty()) return;  // the folder's own
  if (prompt == kPlainPrompt) {
    if (model->config().prompt_template == kLlava15Prompt)
      throw Error(SourceLocation{dir}, key, "\"plain\" for a " + model->config().family + " folder",
                  "a LLaVA folder from the hub is asked through its llava-1.5 template");
    model->use_plain_prompt();
    return;
  }
  if (prompt == kLlava15Prompt) {
    // LLaVA's folders are asked so already; Idefics2's may be, as MLLMU-Bench's eval.py
    // asks it (its processor then expands the image marker).
    if (model->config().family != "idefics2" && model->config().prompt_template != kLlava15Prompt)
      throw Error(SourceLocation{dir}, key, "\"llava-1.5\" for a " + model->config().family + " model",
                  "LLaVA-1.5's template is for LLaVA and Idefics2 folders");
    model->use_llava15_prompt();
    return;
  }
  CS_ASSERT(prompt == kChatPrompt, "unvalidated prompt " + prompt);
  if (model->config().has_vision && !model_family(model->config().family).chat_with_images)
    throw Error(SourceLocation{dir}, key, "\"chat\" for a " + model->config().family + " model",
                "LLaVA folders are asked through their llava-1.5 template");
  // A SentencePiece folder's added tokens are split out as transformers does (Idefics2's
  // <image>, <end_of_utterance>), but not the model's own control pieces a text model's
  // template writes ("<s>[INST]" of Llama-2-chat).
  if (tokenizer.kind() != "hf-bpe" && !model->config().has_vision)
    throw Error(SourceLocation{dir}, key, "\"chat\" with a " + tokenizer.kind() + " tokenizer",
                "chat templates are tokenized as transformers does for byte-level tokenizer.json folders "
                "(Llama-3.x, Qwen2.5); prompt this one with the plain template");
  std::shared_ptr<const ChatTemplate> chat = ChatTemplate::load(dir);
  if (!chat)
    throw Error(SourceLocation{dir}, key, "\"chat\", and the folder has no chat template",
                "chat_template.jinja, chat_template.json or tokenizer_config.json's chat_template");
  model->use_chat_template(std::move(chat), system_prompt, date_string);
}

}  // namespace clear_sweep
