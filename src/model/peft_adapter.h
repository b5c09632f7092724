// LoRA adapters as PEFT stores them, so adapters move between clear-sweep and the Python
// stack both ways: a folder with adapter_config.json (peft_type LORA, r, lora_alpha,
// lora_dropout, target_modules) and adapter_model.safetensors, whose keys are
// "base_model.model.<module>.lora_A.weight" [r, in] and "...lora_B.weight" [out, r],
// <module> being the layer's path in transformers 5's LlavaForConditionalGeneration.
#pragma once

#include <string>

#include "model/vlm.h"

namespace clear_sweep {

/// transformers 5's module path of one of our layers ("language_model.model.layers.0.
/// self_attn.q_proj" -> "model.language_model.layers.0.self_attn.q_proj").
std::string peft_module_name(const std::string& our_name);

/// Writes the model's attached adapters (float32) into `dir` (created). Error where no
/// layer has one, or where they differ in rank, alpha or dropout.
void save_peft_adapter(Vlm& model, const std::string& dir, const std::string& base_model_name = "");

/// Attaches the adapters of a PEFT LoRA folder (fresh ones replaced; other layers get
/// none, base frozen) and returns their spec. Error naming the file and key for what the
/// model cannot take: another peft_type, DoRA, rsLoRA, rank or alpha patterns, trained
/// biases or modules_to_save, a layer the model lacks, a shape that does not fit.
LoraSpec load_peft_adapter(Vlm& model, const std::string& dir);

}  // namespace clear_sweep
