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
  // Qwen/Qwen2.5-1.5B(-Instruct) (tied head) and Qwen2.5-7B(-Instruct).
  for (auto [name, shape] :
       {std::pair{"qwen2.5-1.5b", decoder_shape(151936, 1536, 8960, 28, 12, 2, 32768, 1000000.0, 1e-6, true)},
        std::pair{"qwen2.5-7b", decoder_shape(152064, 3584, 18944, 28, 28, 4, 32768, 1000000.0, 1e-6, false)}}) {
    shape.qkv_bias = true;
    t.presets.push_back({name, shape, false});
  }
  return t;
}

const ModelFamilyRegistration kQwen2{text_only_family(qwen2_traits())};

}  // namespace
}  // namespace clear_sweep
