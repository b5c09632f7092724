// Llama (transformers' LlamaForCausalLM): Llama-2 and Llama-3.x as text-only models,
// with Llama-3's rotary scaling, grouped-query attention, tied or untied heads,
// attention_bias, mlp_bias and head_dim. Registered here, beside its defaults.
#include "model/causal_lm.h"
#include "model/causal_lm_config.h"
#include "model/model_family.h"

namespace clear_sweep {
namespace {

CausalLmFamilyTraits llama_traits() {
  CausalLmFamilyTraits t;  // LlamaConfig's defaults
  t.family = "llama", t.model_type = "llama", t.architecture = "LlamaForCausalLM";
  t.vocab_size = 32000, t.hidden = 4096, t.intermediate = 11008, t.layers = 32, t.heads = 32, t.max_positions = 2048;
  t.reads_biases = true;
  return t;
}

const ModelFamilyRegistration kLlama{text_only_family(llama_traits())};

}  // namespace
}  // namespace clear_sweep
