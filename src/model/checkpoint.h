// A model folder, as Hugging Face lays one out: config.json, model.safetensors (or
// shards listed in model.safetensors.index.json) with Hugging Face's tensor names, and
// the tokenizer beside them. The family config.json names (model_family.h) builds the
// model and maps the stored names to ours: real LLaVA-1.5 weights load by name.
#pragma once

#include <memory>
#include <string>

#include "data/tokenizer.h"
#include "model/vlm.h"

namespace clear_sweep {

/// Writes config.json, model.safetensors and the tokenizer into `dir` (created).
void save_model(Vlm& model, const Tokenizer& tokenizer, const std::string& dir);

/// Copies the weights stored in `dir` into `model`, by name, converting to the model's
/// dtype and device. Names or shapes that do not match are one Error listing what is
/// missing, extra or misshapen.
void load_weights(Vlm& model, const std::string& dir);

/// The dtype the checkpoint in `dir` stores its floating-point weights in (the one
/// holding most bytes, e.g. BF16 for llava-1.5-7b-hf).
torch::ScalarType stored_dtype(const std::string& dir);

struct LoadedModel {
  Vlm model{nullptr};
  std::unique_ptr<Tokenizer> tokenizer;
};
/// config.json + weights + tokenizer. The model is built where it will live, `device`,
/// in the stored dtype, uninitialised, then filled tensor by tensor from the file: a
/// bf16 7B model takes its 14 GB once, on the device, and nothing in float32 on the host.
LoadedModel load_model(const std::string& dir, torch::Device device = torch::kCPU);
/// The model alone (config.json and weights), as load_model builds it.
Vlm load_vlm(const std::string& dir, torch::Device device = torch::kCPU);

}  // namespace clear_sweep
