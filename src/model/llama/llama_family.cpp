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
  // The text-only twin of llava's "tiny": trained from scratch on the dataset's text by
  // CI and tofu-mini.
  t.presets.push_back({"tiny-text", decoder_shape(1024, 128, 344, 4, 4, 2, 256, 10000.0, 1e-5, false), true});
  // meta-llama/Llama-3.2-1B(-Instruct): tied head, head_dim 64, llama3 rope scaling.
  TextConfig l32 = decoder_shape(128256, 2048, 8192, 16, 32, 8, 131072, 500000.0, 1e-5, true);
  l32.rope_scaling = RopeScaling{"llama3", 32.0, 1.0, 4.0, 8192};
  t.presets.push_back({"llama-3.2-1b", l32, false});
  // meta-llama/Llama-2-7b(-chat)-hf.
  t.presets.push_back({"llama-2-7b", decoder_shape(32000, 4096, 11008, 32, 32, 32, 4096, 10000.0, 1e-5, false), false});
  return t;
}

const ModelFamilyRegistration kLlama{text_only_family(llama_traits())};

}  // namespace
}  // namespace clear_sweep
