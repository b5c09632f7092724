// The model's forward pass for the reference tests (test_hf_parity.py): loads a model
// folder as `run` does, reads the inputs from a safetensors file and writes what
// transformers is compared on.
//   hf_forward_dump MODEL_DIR INPUTS.safetensors OUT.safetensors
//                   [--adapter DIR | --random-adapter DIR | --random-adapter-all DIR | --generate N]
// --adapter loads a PEFT LoRA folder first; --random-adapter attaches r=4, alpha=8
// adapters with random A and B on the default targets and saves them there as PEFT's;
// --random-adapter-all the same on every linear layer but the LM head (the vision
// encoder's and the projector's too).
// --generate N decodes N greedy tokens after each (left-padded) row, with the KV cache
// and without: out gets generated [B, N] and generated_nocache [B, N] (int64; no EOS).
// Inputs: input_ids [B, T] (int64), and optionally attention_mask [B, T], position_ids
// [B, T] (default 0..T-1) and pixel_values [N, 3, S, S] (float32), or Qwen2-VL's
// pixel_values [patches, dim] with image_grid_thw [N, 3].
// Out: logits [B, T, V] and hidden.I [B, T, D], the output of decoder layer I (float32).
#include <cstdio>

#include "common/error.h"
#include "model/checkpoint.h"
#include "model/peft_adapter.h"
#include "model/safetensors.h"
#include "model/scoring.h"

using namespace clear_sweep;

int main(int argc, char** argv) {
  if (argc != 4 && argc != 6) {
    std::fprintf(stderr,
                 "usage: hf_forward_dump MODEL_DIR INPUTS.safetensors OUT.safetensors "
                 "[--adapter DIR | --random-adapter DIR | --random-adapter-all DIR | --generate N]\n");
    return 2;
  }
  try {
    torch::NoGradGuard no_grad;
    Vlm model = load_vlm(argv[1], torch::kCPU);
    model->eval();
    if (argc == 6 && std::string(argv[4]) == "--adapter") {
      load_peft_adapter(model, argv[5]);
    } else if (argc == 6 && std::string(argv[4]) == "--generate") {
      // below, once the inputs are read
    } else if (argc == 6) {
      torch::manual_seed(7);
      if (std::string(argv[4]) == "--random-adapter-all")  // every linear layer but the LM head, vision too
        model->attach_adapters({4, 8.0, 0.0}, [](const std::string& name) { return name != "lm_head"; });
      else
        model->attach_adapters({4, 8.0, 0.0});
      for (auto& [name, layer] : model->linear_layers())
        if (layer->has_adapter()) layer->lora_b().normal_(0.0, 0.05);  // B = 0 would hide a swap
      save_peft_adapter(model, argv[5], "tiny random llava");
    }
    const SafetensorsFile inputs(argv[2]);
    auto read = [&](const char* name) {
      const SafetensorsEntry* e = inputs.find(name);
      return e ? inputs.read(*e) : torch::Tensor();
    };
    ModelInputs in;
    in.input_ids = read("input_ids").to(torch::kLong);
    const int64_t rows = in.input_ids.size(0), length = in.input_ids.size(1);
    const torch::Tensor mask = read("attention_mask");
    in.attention_mask = mask.defined() ? mask.to(torch::kBool) : torch::ones({rows, length}, torch::kBool);
    const torch::Tensor positions = read("position_ids");
    in.position_ids = positions.defined() ? positions.to(torch::kLong)
                                          : torch::arange(length, torch::kLong).unsqueeze(0).expand({rows, length});
    in.images = read("pixel_values");
    const torch::Tensor grids = read("image_grid_thw");  // Qwen2-VL: pixel_values are the images' patches
    if (grids.defined()) in.image_grids = grids.to(torch::kLong);
    if (argc == 6 && std::string(argv[4]) == "--generate") {
      std::vector<std::pair<std::string, torch::Tensor>> out;
      for (const bool cache : {true, false}) {
        GenerateOptions g;
        g.max_new_tokens = std::stoll(argv[5]);
        g.eos_id = -1;  // every row runs the full N
        g.use_cache = cache;
        const auto rows_out = generate_greedy(model, in, g);
        torch::Tensor ids = torch::full({rows, g.max_new_tokens}, -1, torch::kLong);
        for (size_t r = 0; r < rows_out.size(); ++r)
          for (size_t k = 0; k < rows_out[r].size(); ++k) ids[int64_t(r)][int64_t(k)] = rows_out[r][k];
        out.emplace_back(cache ? "generated" : "generated_nocache", ids);
      }
      write_safetensors(argv[3], out);
      return 0;
    }
    std::vector<torch::Tensor> hidden;
    const torch::Tensor logits = model->forward(in, {nullptr, &hidden});
    std::vector<std::pair<std::string, torch::Tensor>> out{{"logits", logits.to(torch::kFloat).contiguous()}};
    for (size_t i = 0; i < hidden.size(); ++i)
      out.emplace_back("hidden." + std::to_string(i), hidden[i].to(torch::kFloat).contiguous());
    write_safetensors(argv[3], out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hf_forward_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}
