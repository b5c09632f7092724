// A model folder's chat template as the way a sweep (or `score`) prompts a text-only
// model or a Qwen2-VL: [model] prompt = "chat", with an optional system turn and the template's
// date_string, as open-unlearning prompts its instruct models through
// apply_chat_template. The folder's finetunes keep the choice (config.json's
// clear_sweep_prompt) and the template (checkpoint.h copies it).
#pragma once

#include <string>

#include "data/tokenizer.h"
#include "model/vlm.h"

namespace clear_sweep {

/// `prompt` "chat": `model` prompts through the chat template of folder `dir` from now on;
/// "plain": through the plain template (a chat finetune's folder included); "": as its
/// folder says. Error naming `key` where the folder has no template, the model is a
/// LLaVA folder's (it keeps its llava-1.5 template), the tokenizer is SentencePiece (its ids
/// for a template's special-token text are not transformers'; byte-level tokenizer.json
/// folders only), or a system prompt or date_string comes without "chat".
void use_prompt(Vlm& model, const Tokenizer& tokenizer, const std::string& dir, const std::string& prompt,
                const std::string& system_prompt, const std::string& date_string, const std::string& key);

}  // namespace clear_sweep
