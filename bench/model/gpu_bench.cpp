// The GPU benchmark of scripts/gpu-check.sh: a LoRA training step and greedy generation
// on a preset's shape with random weights (no download), in the dtype and on the device
// a real run uses. One JSON line per measurement on stdout, for BENCHMARKS.md.
//
//   gpu_bench train    PRESET BATCH TEXT_TOKENS STEPS DEVICE [PEAK_TFLOPS|0] [checkpointing]
//       every row: BOS, one image (576 placeholders for llava-1.5-7b, 256 for the
//       Qwen2-VL shapes' 448 px square, 1,752 for a LLaVA-NeXT 336 x 672 image; none for
//       a text-only preset: llama-3.2-1b, llama-2-7b, mistral-7b, qwen2.5-1.5b, qwen2.5-7b),
//       TEXT_TOKENS-1 text tokens, the last half of them the answer. LoRA r=8, alpha 32 on every decoder
//       linear layer; bf16 base, float32 adapters, bf16 autocast, AdamW. Reports
//       tokens/s, model FLOPs per step (formula below), MFU against PEAK_TFLOPS (default:
//       the card's dense bf16 peak where known) and peak memory. `checkpointing`
//       recomputes decoder layers in the backward pass (activation checkpointing).
//   gpu_bench generate PRESET BATCH TEXT_TOKENS NEW DEVICE
//       greedy decoding of NEW tokens after such a prompt (LoRA r8 attached, as a sweep's
//       unlearned model) as evaluation decodes (inference
//       weights, the greedy decoder, CUDA graphs on a GPU): the prompt's pass and a
//       decoding step timed apart, and on a GPU the step without graphs beside it.
//   gpu_bench adamw PRESET BATCH TEXT_TOKENS STEPS DEVICE [LAYERS]
//       the optimiser step alone over the preset's LoRA adapters: torch::optim::AdamW
//       against FusedAdamW (PyTorch's fused kernel), seconds and top-level operators.
//   gpu_bench ops PRESET BATCH TEXT_TOKENS NEW DEVICE [LAYERS]
//       the operators dispatched per decoding step (all, and the top-level ones): the
//       decoder over inference weights, over the training layers, and the reference loop
//       over the growing KV cache, on the preset's shape cut to LAYERS decoder
//       layers (and 2 vision layers): what a CUDA graph replaces on a GPU, and host work
//       everywhere.
//
// On the CPU (DEVICE cpu) it runs in float32: a smoke test of the same code path.
#include <ATen/record_function.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <tuple>

#include "model/autocast.h"
#include "model/device.h"
#include "model/fused_adamw.h"
#include "model/gpu_info.h"
#include "model/greedy_decoder.h"
#include "model/model_family.h"
#include "model/parameter_factory.h"
#include "model/scoring.h"
#include "model/vlm.h"

using namespace clear_sweep;
using Clock = std::chrono::steady_clock;

namespace {

ModelInputs image_text_batch(const ModelConfig& c, int64_t batch, int64_t text_tokens, torch::Device device) {
  int64_t image_tokens = c.has_vision ? c.image_tokens() : 0;  // a text-only model: no image
  if (c.family == "llava_next") {  // its processor's count for an image of the first pinpoint's size
    const auto& pin = c.vision.anyres_pinpoints.front();
    image_tokens = model_family(c.family).image_processor("", c).image_tokens(int(pin[0]), int(pin[1]));
  }
  const int64_t seq = 1 + image_tokens + text_tokens - 1;
  ModelInputs in;
  in.input_ids = torch::randint(10, std::min<int64_t>(c.text.vocab_size, 32000), {batch, seq}, torch::kLong);
  in.input_ids.select(1, 0).fill_(1);
  if (image_tokens > 0) in.input_ids.narrow(1, 1, image_tokens).fill_(c.image_token_id);
  in.attention_mask = torch::ones({batch, seq}, torch::kBool);
  in.position_ids = torch::arange(seq, torch::kLong).repeat({batch, 1});
  const int64_t answer = text_tokens / 2;
  in.labels = torch::full({batch, seq}, -100, torch::kLong);
  in.labels.narrow(1, seq - answer, answer).copy_(in.input_ids.narrow(1, seq - answer, answer));
  const auto& v = c.vision;
  if (c.has_vision && (c.family == "qwen2_vl" || c.family == "idefics2")) {
    // Qwen2-VL: each row's image as its processor gives a square image_size one: the
    // patches flattened one after another, and their grids. Idefics2 the same (one frame
    // a patch): one image_size square crop a row (splitting off, as MLLMU-Bench trains it;
    // 980 px: 70 x 70 patches, the most an image keeps).
    const int64_t side = v.image_size / v.patch_size;
    in.images = torch::randn({batch * side * side, 3 * v.temporal_patch * v.patch_size * v.patch_size});
    in.image_grids = torch::tensor(std::vector<int64_t>{1, side, side}, torch::kLong).repeat({batch, 1});
  } else if (c.has_vision && c.family == "llava_next") {
    // LLaVA-NeXT: each row's image at the first pinpoint (a 2:1 image at 336 x 672: the
    // base view and 2 tiles), its placeholders as the processor counts them.
    const auto& pin = v.anyres_pinpoints.front();
    const int64_t tiles = 1 + (pin[0] / v.image_size) * (pin[1] / v.image_size);
    in.images = torch::randn({batch * tiles, 3, v.image_size, v.image_size});
    in.image_grids = torch::tensor(std::vector<int64_t>{tiles, pin[0], pin[1]}, torch::kLong).repeat({batch, 1});
  } else if (c.has_vision) {
    in.images = torch::randn({batch, 3, v.image_size, v.image_size});
  }
  for (torch::Tensor* t : {&in.input_ids, &in.attention_mask, &in.position_ids, &in.labels, &in.images})
    if (t->defined()) *t = t->to(device);
  return in;
}

void sync(torch::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

/// Dense bf16 tensor-core peak (no sparsity) of the cards we know, in TFLOPS.
double known_peak_tflops(const std::string& name) {
  if (name.find("H100") != std::string::npos || name.find("H200") != std::string::npos) return 989.4;  // SXM
  if (name.find("A100") != std::string::npos) return 312.0;
  if (name.find("L40S") != std::string::npos) return 362.1;
  return 0;
}

/// Model FLOPs of one LoRA training step (multiply-add = 2 FLOPs), the base frozen:
///   decoder linears   4 * N_dec * T           forward 2N, backward to the activations 2N;
///                                             no base weight gradients (frozen)
///   decoder attention 12 * L * T^2 * D / row  QK^T and AV, 4 T^2 D per layer forward,
///                                             twice that backward (counted unmasked)
///   LM head           4 * V * D * A           applied at the A answer tokens only
///   vision tower      2 * N_vis * P + 4 * L_v * P^2 * D_v per image, forward only
///   projector         2 * N_proj * (P - 1) per image, forward only (neither for a
///                     text-only model)
/// T = tokens in the batch, P = patches + class token, LoRA's own FLOPs (<0.5 %) left out.
double lora_step_flops(const ModelConfig& c, int64_t batch, int64_t seq, int64_t answer) {
  const auto& t = c.text;
  const auto& v = c.vision;
  const double d = double(t.hidden), q = double(t.heads * t.head_dim()), kv = double(t.kv_heads * t.head_dim());
  const double per_layer = d * q * 2 + d * kv * 2 + 3 * d * double(t.intermediate);  // q,o + k,v + mlp
  const double n_dec = double(t.layers) * per_layer;
  const double tokens = double(batch * seq);
  const double decoder = 4 * n_dec * tokens + 12 * double(t.layers) * double(seq * seq) * d * double(batch);
  const double head = 4 * double(t.vocab_size) * d * double(batch * answer);
  if (!c.has_vision) return decoder + head;
  if (c.family == "qwen2_vl") {
    // Qwen2-VL: P patches (no class token), the patch embedding, blocks (fused qkv, proj,
    // fc1/fc2 or SwiGLU; attention counted over the whole image, an upper bound for
    // Qwen2.5-VL's windowed blocks), the merger on P / m^2 tokens.
    const double p = double(v.patches()), dv = double(v.hidden), m2 = double(v.spatial_merge * v.spatial_merge);
    const double mlp = (v.gated_mlp ? 3 : 2) * dv * double(v.intermediate);
    const double n_vis = double(v.layers) * (4 * dv * dv + mlp);
    const double embed = 2 * double(3 * v.temporal_patch * v.patch_size * v.patch_size) * dv * p;
    const double merger = 2 * (dv * m2 * dv * m2 + dv * m2 * d) * p / m2;
    return decoder + head + (embed + 2 * n_vis * p + 4 * double(v.layers) * p * p * dv + merger) * double(batch);
  }
  if (c.family == "idefics2") {
    // Idefics2: SigLIP over the crop's P patches (no class token), the SwiGLU projection
    // on every patch, then the resampler: L latents' queries over P + L keys and values
    // per layer, their SwiGLU (4 D wide).
    const double p = double(v.patches()), dv = double(v.hidden), it = double(t.intermediate);
    const auto& r = v.resampler;
    const double lat = double(r.latents), hq = double(r.heads * r.head_dim), hkv = double(r.kv_heads * r.head_dim);
    const double n_vis = double(v.layers) * (4 * dv * dv + 2 * dv * double(v.intermediate));
    const double embed = 2 * double(3 * v.patch_size * v.patch_size) * dv * p;
    const double encoder = embed + 2 * n_vis * p + 4 * double(v.layers) * p * p * dv;
    const double projection = 2 * (2 * dv * it + it * d) * p;
    const double resampler = double(r.depth) * (2 * (2 * d * hq * lat + 2 * d * hkv * (p + lat)) +
                                                4 * lat * (p + lat) * hq + 2 * 3 * d * 4 * d * lat);
    return decoder + head + (encoder + projection + resampler) * double(batch);
  }
  // LLaVA-NeXT runs the tower on every tile (the base view and the pinpoint's tiles).
  const double views =
      c.family == "llava_next"
          ? double(1 + (v.anyres_pinpoints.front()[0] / v.image_size) * (v.anyres_pinpoints.front()[1] / v.image_size))
          : 1.0;
  const double p = double(v.patches() + 1), dv = double(v.hidden);
  // The tower runs up to its select layer; count every layer (LLaVA: 23 of 24, <0.3 % apart).
  const double n_vis = double(v.layers) * (4 * dv * dv + 2 * dv * double(v.intermediate));
  const double vision = (2 * n_vis * p + 4 * double(v.layers) * p * p * dv) * double(batch);
  const double projector = 2 * (dv * d + d * d) * (p - 1) * double(batch);
  return decoder + head + (vision + projector) * views;
}

/// Operators the dispatcher runs (RecordFunction's FUNCTION scope): all, nested calls
/// included (aten::linear's aten::mm ...), and the top-level ones the code calls.
struct OpCount {
  int64_t all = 0, top = 0;
};
std::atomic<int64_t> g_ops_all{0}, g_ops_top{0};
thread_local int g_op_depth = 0;

std::unique_ptr<at::ObserverContext> op_started(const at::RecordFunction&) {
  if (g_op_depth++ == 0) ++g_ops_top;
  ++g_ops_all;
  return nullptr;
}
void op_ended(const at::RecordFunction&, at::ObserverContext*) { --g_op_depth; }

/// The operators `f` dispatches on this thread.
template <typename F>
OpCount count_ops(F&& f) {
  g_ops_all = 0, g_ops_top = 0, g_op_depth = 0;
  const auto handle =
      at::addThreadLocalCallback(at::RecordFunctionCallback(op_started, op_ended).scopes({at::RecordScope::FUNCTION}));
  f();
  at::removeCallback(handle);
  return {g_ops_all.load(), g_ops_top.load()};
}

}  // namespace

int run(int argc, char** argv);

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr,
                 "usage: gpu_bench train|generate PRESET BATCH TEXT_TOKENS STEPS|NEW DEVICE [PEAK_TFLOPS|0] "
                 "[checkpointing]\n"
                 "       gpu_bench ops PRESET BATCH TEXT_TOKENS NEW DEVICE [LAYERS]\n"
                 "       gpu_bench adamw PRESET BATCH TEXT_TOKENS STEPS DEVICE [LAYERS]\n");
    return 2;
  }
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // a device that is not there, an unknown preset, out of memory
    std::fprintf(stderr, "gpu_bench: %s\n", e.what());
    return 2;
  }
}

int run(int argc, char** argv) {
  const std::string mode = argv[1], preset = argv[2];
  const int64_t batch = std::atoll(argv[3]), text_tokens = std::atoll(argv[4]), steps = std::atoll(argv[5]);
  const torch::Device device = resolve_device(argv[6]);
  ModelConfig config = model_preset(preset);
  if (mode == "ops" && steps < 2) throw std::invalid_argument("ops needs NEW >= 2 (steps after the first token)");
  if ((mode == "ops" || mode == "adamw") && argc > 7) {
    // The preset's layer shape, fewer layers: a decoding step's operators scale with them
    // (the vision encoder, which only the prompt runs, cut to 2).
    config.text.layers = std::atoll(argv[7]);
    if (config.text.layers < 1) throw std::invalid_argument("LAYERS must be at least 1");
    config.vision.layers = std::min<int64_t>(config.vision.layers, 2);
  }
  const torch::ScalarType dtype = device.is_cuda() ? torch::kBFloat16 : torch::kFloat;
  torch::manual_seed(0);
  Vlm model{nullptr};
  const auto build_start = Clock::now();
  {
    ParameterPlacementScope placement({dtype, device, true});  // random, drawn on the device
    model = Vlm(config);
  }
  sync(device);
  const double build_s = std::chrono::duration<double>(Clock::now() - build_start).count();
  const GpuCard card = gpu_card(device);
  const ModelInputs in = image_text_batch(config, batch, text_tokens, device);
  const int64_t seq = in.input_ids.size(1);

  const bool checkpointing = argc > 8 && std::string(argv[8]) == "checkpointing";
  // LoRA r8 on every decoder linear in every mode: what a sweep trains and then evaluates.
  model->attach_adapters(LoraSpec{8, 32.0, 0.0});
  if (mode == "train") {
    model->set_activation_checkpointing(checkpointing);
    model->train();
    auto params = model->adapter_parameters();
    FusedAdamW optimizer(params, torch::optim::AdamWOptions(1e-4));  // as the sweep steps
    auto step = [&] {
      optimizer.zero_grad();
      torch::Tensor loss;
      {
        AutocastScope autocast(device);
        const auto scores = score_answers(model, in);
        loss = scores.sum_nll.sum() / scores.tokens.sum();
      }
      loss.backward();
      optimizer.step();
    };
    for (int i = 0; i < 3; ++i) step();  // warm-up: kernels chosen, allocator and optimizer state
    sync(device);
    gpu_reset_peak(device);
    const auto start = Clock::now();
    for (int64_t i = 0; i < steps; ++i) step();
    sync(device);
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    const GpuMemoryPeak peak = gpu_memory_peak(device);
    const double step_s = s / double(steps);
    const double flops = lora_step_flops(config, batch, seq, text_tokens / 2);
    const double peak_tflops = argc > 7 && std::atof(argv[7]) > 0 ? std::atof(argv[7]) : known_peak_tflops(card.name);
    const double mfu = peak_tflops > 0 ? flops / step_s / (peak_tflops * 1e12) : 0;
    std::printf(
        "{\"mode\": \"train\", \"preset\": \"%s\", \"device\": \"%s\", \"gpu\": \"%s\", \"dtype\": \"%s\", "
        "\"checkpointing\": %s, \"batch\": %lld, \"seq\": %lld, \"steps\": %lld, \"step_seconds\": %.4f, "
        "\"tokens_per_s\": %.1f, "
        "\"model_tflop_per_step\": %.3f, \"achieved_tflops\": %.1f, \"peak_tflops\": %.1f, \"mfu\": %.4f, "
        "\"peak_allocated_gb\": %.2f, \"peak_reserved_gb\": %.2f, \"build_seconds\": %.2f, \"params\": %lld}\n",
        preset.c_str(), device.str().c_str(), card.name.c_str(), c10::toString(dtype), checkpointing ? "true" : "false",
        (long long)batch, (long long)seq, (long long)steps, step_s, double(batch * seq) / step_s, flops / 1e12,
        flops / step_s / 1e12, peak_tflops, mfu, peak.allocated_mb / 1024, peak.reserved_mb / 1024, build_s,
        (long long)config.parameter_count());
  } else if (mode == "adamw") {
    // The optimiser step alone over the LoRA adapters (STEPS steps), torch::optim::AdamW's
    // loop of small kernels per tensor against FusedAdamW's one call, side by side.
    auto params = model->adapter_parameters();
    for (auto& p : params) {
      p.set_requires_grad(true);
      p.mutable_grad() = torch::randn_like(p);
    }
    auto time_steps = [&](torch::optim::Optimizer& optimizer) {
      for (int i = 0; i < 3; ++i) optimizer.step();  // warm-up: state allocated
      sync(device);
      const auto start = Clock::now();
      OpCount ops;
      for (int64_t i = 0; i < steps; ++i) {
        if (i == 0)
          ops = count_ops([&] { optimizer.step(); });
        else
          optimizer.step();
      }
      sync(device);
      return std::pair{std::chrono::duration<double>(Clock::now() - start).count() / double(steps), ops.top};
    };
    const auto options = torch::optim::AdamWOptions(1e-5).weight_decay(0.01);
    torch::optim::AdamW plain(params, options);
    const auto [plain_s, plain_ops] = time_steps(plain);
    FusedAdamW fused(params, options, FusedAdamW::Kernel::everywhere);  // the kernel on the CPU too
    const auto [fused_s, fused_ops] = time_steps(fused);
    int64_t numel = 0;
    for (const auto& p : params) numel += p.numel();
    std::printf(
        "{\"mode\": \"adamw\", \"preset\": \"%s\", \"device\": \"%s\", \"gpu\": \"%s\", \"tensors\": %lld, "
        "\"params\": %lld, \"steps\": %lld, \"plain_seconds\": %.6f, \"plain_top_level_ops\": %lld, "
        "\"fused_seconds\": %.6f, \"fused_top_level_ops\": %lld}\n",
        preset.c_str(), device.str().c_str(), card.name.c_str(), (long long)params.size(), (long long)numel,
        (long long)steps, plain_s, (long long)plain_ops, fused_s, (long long)fused_ops);
  } else if (mode == "ops") {
    // Operators per decoding step: generating NEW tokens less generating one (the prompt's
    // forward and the first pick), over NEW - 1 steps. Three ways: the evaluator's (the
    // greedy decoder over inference weights: adapters folded, q/k/v and gate/up fused),
    // the decoder over the layers as they train, and the reference loop over the growing
    // cache (the path before the decoder).
    model->eval();
    ModelInputs prompts = in;
    prompts.labels = torch::Tensor();
    AutocastScope autocast(device);
    auto per_step = [&](bool decoder, bool fused) {
      std::optional<InferenceWeights> inference;
      if (fused) inference.emplace(model);
      GenerateOptions g;
      g.max_new_tokens = steps, g.eos_id = -1, g.static_cache = decoder;
      GenerateOptions one = g;
      one.max_new_tokens = 1;
      generate_greedy(model, prompts, g);  // warm-up
      const OpCount n = count_ops([&] { generate_greedy(model, prompts, g); });
      const OpCount first = count_ops([&] { generate_greedy(model, prompts, one); });
      return std::pair{double(n.all - first.all) / double(steps - 1), double(n.top - first.top) / double(steps - 1)};
    };
    const auto [fused_all, fused_top] = per_step(true, true);
    const auto [static_all, static_top] = per_step(true, false);
    const auto [growing_all, growing_top] = per_step(false, false);
    std::printf(
        "{\"mode\": \"ops\", \"preset\": \"%s\", \"layers\": %lld, \"device\": \"%s\", \"batch\": %lld, "
        "\"prompt\": %lld, \"new_tokens\": %lld, \"ops_per_step_decoder_fused\": %.1f, "
        "\"top_level_ops_per_step_decoder_fused\": %.1f, \"ops_per_step_static\": %.1f, "
        "\"top_level_ops_per_step_static\": %.1f, \"ops_per_step_growing\": %.1f, "
        "\"top_level_ops_per_step_growing\": %.1f}\n",
        preset.c_str(), (long long)config.text.layers, device.str().c_str(), (long long)batch, (long long)seq,
        (long long)steps, fused_all, fused_top, static_all, static_top, growing_all, growing_top);
  } else {
    // The evaluator's decoding: inference weights and the greedy decoder (CUDA graphs on
    // a GPU; there also without them, side by side). The prompt's forward is timed
    // apart (a one-token run) so a decoding step is (all - prompt) / (NEW - 1).
    model->eval();
    ModelInputs prompts = in;
    prompts.labels = torch::Tensor();
    AutocastScope autocast(device);
    InferenceWeights inference(model);
    auto measure = [&](bool graphs) {
      GenerateOptions g;
      g.eos_id = -1;  // all NEW tokens, every row
      g.cuda_graphs = graphs;
      g.max_new_tokens = steps;
      GreedyDecoder decoder(model, g);
      decoder.generate(prompts);  // warm-up: storage, graphs captured
      auto timed = [&](GreedyDecoder& d) {
        sync(device);
        const auto start = Clock::now();
        const auto out = d.generate(prompts);
        sync(device);
        return std::pair{std::chrono::duration<double>(Clock::now() - start).count(), int64_t(out[0].size())};
      };
      g.max_new_tokens = 1;
      GreedyDecoder prompt_only(model, g);
      prompt_only.generate(prompts);
      const double prompt_s = timed(prompt_only).first;
      const auto [all_s, made] = timed(decoder);
      return std::tuple{all_s, prompt_s, (all_s - prompt_s) / double(std::max<int64_t>(1, made - 1)), made,
                        decoder.counters().graphs};
    };
    gpu_reset_peak(device);
    const auto [s, prompt_s, step_s, made, graphs] = measure(true);
    const GpuMemoryPeak peak = gpu_memory_peak(device);
    const double eager_step_s = device.is_cuda() ? std::get<2>(measure(false)) : step_s;
    double weight_bytes = 0;
    for (const auto& p : model->parameters()) weight_bytes += double(p.numel() * p.element_size());
    std::printf(
        "{\"mode\": \"generate\", \"preset\": \"%s\", \"device\": \"%s\", \"gpu\": \"%s\", \"dtype\": \"%s\", "
        "\"batch\": %lld, \"prompt\": %lld, \"new_tokens\": %lld, \"seconds\": %.3f, \"prefill_seconds\": %.4f, "
        "\"decode_step_seconds\": %.6f, \"decode_step_seconds_eager\": %.6f, \"graphs\": %lld, "
        "\"tokens_per_s\": %.1f, \"decode_tokens_per_s\": %.1f, \"weights_gb\": %.2f, \"peak_allocated_gb\": %.2f}\n",
        preset.c_str(), device.str().c_str(), card.name.c_str(), c10::toString(dtype), (long long)batch, (long long)seq,
        (long long)made, s, prompt_s, step_s, eager_step_s, (long long)graphs, double(batch) * double(made) / s,
        double(batch) / step_s, weight_bytes / 1e9, peak.allocated_mb / 1024);
  }
  return 0;
}
