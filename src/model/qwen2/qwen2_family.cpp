// Qwen2 (transformers' Qwen2ForCausalLM; Qwen2.5 too): biases on q, k and v, none on o,
// tied embeddings in the small ones. Its sliding-window layers (use_sliding_window) are
// refused naming the key. Registered here, beside its defaults.
#include "model/causal_lm.h"
#include "model/causal_lm_config.h"
#include "model/model_family.h"

namespace clear_sweep {
namespace {

CausalLmFamilyTraits qwen2_traits() {
  CausalLmFamilyTraits t;  // Qwen2Config's defaults
  t.family = "qwen2", t.model_type = "qwen2", t.architecture = "Qwen2ForCausalLM";
  t.vocab_size = 151936, t.hidden = 4096, t.intermediate = 22016, t.layers = 32, t.heads = 32, t.kv_heads = 32;
  t.max_positions = 32768;
  t.qkv_bias = true;
  return t;
}

const ModelFamilyRegistration kQwen2{text_only_family(qwen2_traits())};

}  // namespace
}  // namespace clear_sweep
