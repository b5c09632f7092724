// The prompt templates a model folder can name (config.json's clear_sweep_prompt): how an
// item becomes the model's text. data/batch.h applies them; model_config.h records which.
#pragma once

namespace clear_sweep {

/// The presets trained from scratch: [BOS] [<image> x N] "Question: ...\nAnswer:".
inline constexpr const char* kPlainPrompt = "plain";
/// llava-1.5's chat template, for checkpoints from elsewhere: "USER: <image>\n... ASSISTANT:".
inline constexpr const char* kLlava15Prompt = "llava-1.5";
/// The model folder's own chat template (data/chat_template.h), as apply_chat_template
/// renders it: a text-only model's question as the user's turn (after a system prompt
/// where one is set), the answer as the assistant's.
inline constexpr const char* kChatPrompt = "chat";

}  // namespace clear_sweep
