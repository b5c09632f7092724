// Training and generation throughput of a preset with random weights, for BENCHMARKS.md
// (bench/model/run_bench.py runs it beside torch_reference.py, the same model and step in
// Python PyTorch). One JSON line per measurement on stdout.
//
//   train_bench train    PRESET BATCH SEQ STEPS THREADS [CONFIG_OUT]
//       forward + backward + AdamW on LoRA (rank 8, alpha 32, decoder linears)
//   train_bench generate PRESET BATCH PROMPT NEW THREADS
//       greedy decoding with and without the KV cache
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "common/clock.h"
#include "model/compute_threads.h"
#include "model/scoring.h"
#include "model/vlm.h"

using namespace clear_sweep;
using Clock = std::chrono::steady_clock;

namespace {

/// Rows of random tokens; even rows start with an image (BOS, placeholders, text).
ModelInputs random_batch(const ModelConfig& c, int64_t batch, int64_t seq, bool labels) {
  ModelInputs in;
  in.input_ids = torch::randint(10, c.text.vocab_size, {batch, seq}, torch::kLong);
  in.input_ids.select(1, 0).fill_(1);
  int64_t images = 0;
  for (int64_t r = 0; r < batch; r += 2) {
    in.input_ids[r].narrow(0, 1, c.image_tokens()).fill_(c.image_token_id);
    ++images;
  }
  in.attention_mask = torch::ones({batch, seq}, torch::kBool);
  in.position_ids = torch::arange(seq, torch::kLong).repeat({batch, 1});
  if (labels) {
    in.labels = torch::full({batch, seq}, -100, torch::kLong);
    in.labels.narrow(1, seq / 2, seq - seq / 2).copy_(in.input_ids.narrow(1, seq / 2, seq - seq / 2));
  }
  in.images = torch::randn({images, 3, c.vision.image_size, c.vision.image_size});
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr, "usage: train_bench train|generate PRESET BATCH SEQ|PROMPT STEPS|NEW THREADS [CONFIG_OUT]\n");
    return 2;
  }
  const std::string mode = argv[1], preset = argv[2];
  const int64_t batch = std::atoll(argv[3]), seq = std::atoll(argv[4]), steps = std::atoll(argv[5]);
  const int threads = std::atoi(argv[6]);
  set_compute_threads(threads);
  torch::manual_seed(0);
  const ModelConfig config = model_preset(preset);
  if (argc > 7) std::ofstream(argv[7]) << model_config_json(config);
  Vlm model(config);

  if (mode == "train") {
    model->attach_adapters(LoraSpec{8, 32.0, 0.0});
    model->train();
    auto params = model->adapter_parameters();
    torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(1e-4));
    const ModelInputs in = random_batch(config, batch, seq, true);
    auto step = [&] {
      optimizer.zero_grad();
      const auto scores = score_answers(model, in);
      const auto loss = scores.sum_nll.sum() / scores.tokens.sum();
      loss.backward();
      optimizer.step();
    };
    for (int i = 0; i < 2; ++i) step();  // warm-up: allocator, optimizer state
    const auto start = Clock::now();
    for (int64_t i = 0; i < steps; ++i) step();
    const double s = seconds_since(start);
    std::printf(
        "{\"impl\": \"cpp\", \"mode\": \"train\", \"preset\": \"%s\", \"batch\": %lld, \"seq\": %lld, "
        "\"threads\": %d, \"steps\": %lld, \"seconds\": %.4f, \"tokens_per_s\": %.1f, \"params\": %lld}\n",
        preset.c_str(), (long long)batch, (long long)seq, threads, (long long)steps, s, double(batch * seq * steps) / s,
        (long long)config.parameter_count());
  } else {
    model->eval();
    ModelInputs in = random_batch(config, batch, seq, false);
    for (bool cache : {true, false}) {
      GenerateOptions g;
      g.max_new_tokens = steps;
      g.eos_id = -1;
      g.use_cache = cache;
      GenerateOptions warm = g;
      warm.max_new_tokens = 1;
      generate_greedy(model, in, warm);  // warm-up
      const auto start = Clock::now();
      const auto out = generate_greedy(model, in, g);
      const double s = seconds_since(start);
      std::printf(
          "{\"impl\": \"cpp\", \"mode\": \"generate\", \"cache\": %s, \"preset\": \"%s\", \"batch\": %lld, "
          "\"prompt\": %lld, \"new_tokens\": %lld, \"threads\": %d, \"seconds\": %.4f, \"tokens_per_s\": %.1f}\n",
          cache ? "true" : "false", preset.c_str(), (long long)batch, (long long)seq, (long long)out[0].size(), threads,
          s, double(batch) * double(out[0].size()) / s);
    }
  }
}
