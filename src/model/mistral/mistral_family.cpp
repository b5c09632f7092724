// Mistral (transformers' MistralForCausalLM): Mistral-7B v0.1 to v0.3 as text-only
// models, its sliding window honoured in the mask (with and without a KV cache), rope
// theta and head_dim from the config. Registered here, beside its defaults.
#include "model/causal_lm.h"
#include "model/causal_lm_config.h"
#include "model/model_family.h"

namespace clear_sweep {
namespace {

CausalLmFamilyTraits mistral_traits() {
  CausalLmFamilyTraits t;  // MistralConfig's defaults
  t.family = "mistral", t.model_type = "mistral", t.architecture = "MistralForCausalLM";
  t.vocab_size = 32000, t.hidden = 4096, t.intermediate = 14336, t.layers = 32, t.heads = 32, t.kv_heads = 8;
  t.max_positions = 4096 * 32;
  t.reads_sliding_window = true, t.sliding_window = 4096;
  // mistralai/Mistral-7B-Instruct-v0.3: vocabulary 32768, rope theta 1e6, no window.
  t.presets.push_back(
      {"mistral-7b", decoder_shape(32768, 4096, 14336, 32, 32, 8, 32768, 1000000.0, 1e-5, false), false});
  return t;
}

const ModelFamilyRegistration kMistral{text_only_family(mistral_traits())};

}  // namespace
}  // namespace clear_sweep
