// A model folder, as Hugging Face lays one out: config.json, model.safetensors (or
// shards listed in model.safetensors.index.json) with Hugging Face's tensor names, and
// the tokenizer beside them. Real LLaVA-1.5 weights load by name.
#pragma once

#include <memory>
#include <string>

#include "data/tokenizer.h"
#include "model/vlm.h"

namespace clear_sweep {

/// Writes config.json, model.safetensors and the tokenizer into `dir` (created).
void save_model(Vlm& model, const Tokenizer& tokenizer, const std::string& dir);

/// Copies the weights stored in `dir` into `model`, by name, converting dtype. Names or
/// shapes that do not match are one Error listing what is missing, extra or misshapen.
void load_weights(Vlm& model, const std::string& dir);

struct LoadedModel {
  Vlm model{nullptr};
  std::unique_ptr<Tokenizer> tokenizer;
};
/// config.json + weights + tokenizer.
LoadedModel load_model(const std::string& dir);

}  // namespace clear_sweep
