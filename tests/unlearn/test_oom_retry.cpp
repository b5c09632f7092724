// Out-of-memory retries (unlearn/oom_retry.h): the halving sequences and where they give
// up, the caching allocator's messages parsed (both forms), the injection variable, the
// retry loop (cleanup between tries, the row's warning, the failure's message, other
// errors untouched), and a training run that ran out and was retried equal to the same
// job asked at the smaller micro-batch from the start.
#include <algorithm>
#include <ostream>

#include "data/bpe_tokenizer.h"
#include "data/dataset_source.h"
#include "data/splits.h"
#include "model/compute_threads.h"
#include "sweep/sweep_expand.h"
#include "test_support.h"
#include "unlearn/oom_retry.h"
#include "unlearn/unlearn_loop.h"

using namespace clear_sweep;

namespace clear_sweep {  // for Catch's messages (found by ADL)
std::ostream& operator<<(std::ostream& os, const TrainBatching& b) { return os << batching_text(b); }
std::ostream& operator<<(std::ostream& os, const EvalBatching& b) { return os << batching_text(b); }
}  // namespace clear_sweep

namespace {

/// Sets the injection for one test and clears it after.
struct InjectionScope {
  explicit InjectionScope(const OomInjection& injection) { oom_injection_set(injection); }
  ~InjectionScope() { oom_injection_set(OomInjection{}); }
};

const char* kSweep = R"(name = "oom"
[data]
persons = 6
images_per_person = 1
seed = 3
[model]
preset = "tiny"
[grid]
method = ["gd"]
modality = ["both"]
forget_fraction = [20]
[grid.hparams]
lr = [1e-2]
epochs = [2]
)";

}  // namespace

TEST_CASE("oom_smaller: half the micro-batch, twice the accumulation, the same items per step, down to 1", "[oom]") {
  std::vector<TrainBatching> seen;
  for (std::optional<TrainBatching> b = TrainBatching{8, 1}; b; b = oom_smaller(*b)) seen.push_back(*b);
  CHECK(seen == std::vector<TrainBatching>{{8, 1}, {4, 2}, {2, 4}, {1, 8}});
  // An odd micro-batch goes to its largest proper divisor: 12 x 1 -> 6 x 2 -> 3 x 4 -> 1 x 12.
  CHECK(*oom_smaller(TrainBatching{6, 2}) == TrainBatching{3, 4});
  CHECK(*oom_smaller(TrainBatching{3, 4}) == TrainBatching{1, 12});
  CHECK(*oom_smaller(TrainBatching{9, 1}) == TrainBatching{3, 3});
  CHECK(*oom_smaller(TrainBatching{7, 2}) == TrainBatching{1, 14});
  CHECK_FALSE(oom_smaller(TrainBatching{1, 8}));
  CHECK(batching_text(TrainBatching{2, 4}) == "micro-batch 2 x 4 accumulation");

  std::vector<EvalBatching> eval;
  for (std::optional<EvalBatching> b = EvalBatching{32, 64}; b; b = oom_smaller(*b)) eval.push_back(*b);
  REQUIRE(eval.size() == 7);  // 32/64, 16/32, 8/16, 4/8, 2/4, 1/2, 1/1
  CHECK(eval[1] == EvalBatching{16, 32});
  CHECK(eval[5] == EvalBatching{1, 2});
  CHECK(eval[6] == EvalBatching{1, 1});
  CHECK_FALSE(oom_smaller(EvalBatching{1, 1}));
  CHECK(batching_text(EvalBatching{16, 32}) == "evaluation batch 16, generation batch 32");
}

TEST_CASE("oom_facts reads the caching allocator's messages, old and new", "[oom]") {
  const OomFacts now = oom_facts(
      "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.19 GiB of which 1.00 GiB is "
      "free. Process 1234 has 78.18 GiB memory in use. Of the allocated memory 77.50 GiB is allocated by PyTorch, and "
      "123.45 MiB is reserved by PyTorch but unallocated.");
  CHECK(now.requested_bytes == 2.0 * (1 << 30));
  CHECK(now.free_bytes == 1.0 * (1 << 30));
  CHECK(now.total_bytes == Approx(79.19 * (1 << 30)));
  CHECK(now.device == "GPU 0");
  CHECK(oom_facts_text(now) == "2.00 GiB asked for, 1.00 GiB free of 79.19 GiB on GPU 0");

  const OomFacts old = oom_facts(
      "CUDA out of memory. Tried to allocate 20.00 MiB (GPU 3; 15.78 GiB total capacity; 14.56 GiB already "
      "allocated; 3.44 MiB free; 14.70 GiB reserved in total by PyTorch)");
  CHECK(old.requested_bytes == 20.0 * (1 << 20));
  CHECK(old.free_bytes == Approx(3.44 * (1 << 20)));
  CHECK(old.total_bytes == Approx(15.78 * (1 << 30)));
  CHECK(old.device == "GPU 3");

  const OomFacts none = oom_facts("CUBLAS_STATUS_ALLOC_FAILED when calling cublasCreate(handle)");
  CHECK(none.requested_bytes < 0);
  CHECK(none.free_bytes < 0);
  CHECK(oom_facts_text(none).empty());
  CHECK(oom_size_text(512) == "512 bytes");
  CHECK(oom_size_text(1536) == "1.50 KiB");
  CHECK(oom_size_text(256.0 * (1 << 20)) == "256.00 MiB");
}

TEST_CASE("CLEAR_SWEEP_INJECT_OOM: train:N and eval:N, comma-separated, anything else refused", "[oom]") {
  const OomInjection both = oom_injection_parse("train:4,eval:8");
  CHECK(both.train_rows == 4);
  CHECK(both.eval_rows == 8);
  CHECK(oom_injection_parse("eval:0").train_rows == -1);
  CHECK(oom_injection_parse("eval:0").eval_rows == 0);
  CHECK(oom_injection_parse("").train_rows == -1);
  for (const char* bad : {"train", "train:", "train:-1", "train:4x", "gpu:4", "train:4,", "train:4;eval:8"}) {
    INFO(bad);
    CHECK(expect_error([&] { oom_injection_parse(bad); }).key() == "CLEAR_SWEEP_INJECT_OOM");
  }
  // The injected error is the type and message a GPU's would be.
  try {
    oom_inject("a training micro-batch", 8, 2);
    FAIL("no error");
  } catch (const c10::OutOfMemoryError& e) {
    CHECK(is_out_of_memory(e));
    CHECK(oom_facts_text(oom_facts(e.what_without_backtrace())) ==
          "2.00 GiB asked for, 512.00 MiB free of 80.00 GiB on GPU 0");
  }
  CHECK_NOTHROW(oom_inject("a training micro-batch", 2, 2));
  CHECK_NOTHROW(oom_inject("a training micro-batch", 100, -1));
}

TEST_CASE("oom_fit: retries smaller after running out, says so, and gives up at the smallest naming the memory",
          "[oom]") {
  int cleanups = 0;
  std::vector<std::string> heard;
  std::vector<TrainBatching> tried;
  std::string warning;
  const auto fits_up_to = [&](int64_t rows) {
    return [&, rows](const TrainBatching& b) {
      tried.push_back(b);
      oom_inject("a training micro-batch", b.micro_batch, rows);
    };
  };
  const auto cleanup = [&] { ++cleanups; };
  const auto hear = [&](const std::string& line) { heard.push_back(line); };

  const TrainBatching used =
      oom_fit(TrainBatching{8, 1}, torch::kCPU, "training", fits_up_to(2), cleanup, warning, hear);
  CHECK(used == TrainBatching{2, 4});
  CHECK(tried == std::vector<TrainBatching>{{8, 1}, {4, 2}, {2, 4}});
  CHECK(cleanups == 2);
  CHECK(warning ==
        "out of GPU memory in training: retried with micro-batch 2 x 4 accumulation (8 x 1 and 4 x 2 ran out: "
        "1.00 GiB asked for, 512.00 MiB free of 80.00 GiB on GPU 0)");
  REQUIRE(heard.size() == 2);
  CHECK(heard[0] ==
        "out of GPU memory in training at micro-batch 8 x 1 accumulation (2.00 GiB asked for, 512.00 MiB free of "
        "80.00 GiB on GPU 0); retrying at micro-batch 4 x 2 accumulation");

  // What fits at once leaves no warning.
  warning.clear();
  tried.clear();
  CHECK(oom_fit(TrainBatching{2, 1}, torch::kCPU, "training", fits_up_to(2), cleanup, warning) == TrainBatching{2, 1});
  CHECK(warning.empty());

  // Nothing fits: a failed job, its error naming the memory and every setting tried.
  tried.clear();
  try {
    oom_fit(TrainBatching{8, 1}, torch::kCPU, "training", fits_up_to(0), cleanup, warning);
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("out of GPU memory in training even at micro-batch 1 x 8 accumulation, the smallest: 256.00 MiB "
                    "asked for, 0 bytes free of 80.00 GiB on GPU 0 (8 x 1, 4 x 2, 2 x 4 and 1 x 8 ran out); ") == 0);
    CHECK(what.find("batch_size") != std::string::npos);  // the hint
  }
  CHECK(tried.size() == 4);

  // Any other error is the job's own: no retry.
  tried.clear();
  CHECK_THROWS_WITH(oom_fit(
                        TrainBatching{8, 1}, torch::kCPU, "training",
                        [&](const TrainBatching& b) {
                          tried.push_back(b);
                          TORCH_CHECK(false, "shapes do not match");
                        },
                        cleanup, warning),
                    Catch::Contains("shapes do not match"));
  CHECK(tried.size() == 1);
  // A CUDA allocation failure outside the caching allocator is running out too.
  tried.clear();
  CHECK(oom_fit(
            TrainBatching{4, 1}, torch::kCPU, "training",
            [&](const TrainBatching& b) {
              tried.push_back(b);
              if (b.micro_batch > 2) TORCH_CHECK(false, "CUDA error: out of memory");
            },
            cleanup, warning) == TrainBatching{2, 2});

  // Evaluation halves both of its batches.
  std::string eval_warning;
  const EvalBatching eval = oom_fit(
      EvalBatching{32, 64}, torch::kCPU, "evaluation",
      [](const EvalBatching& b) { oom_inject("an evaluation batch", std::max(b.batch_size, b.generation_batch), 8); },
      {}, eval_warning);
  CHECK(eval == EvalBatching{4, 8});
  CHECK(eval_warning.find("out of GPU memory in evaluation: retried with evaluation batch 4, generation batch 8 "
                          "(32/64, 16/32 and 8/16 ran out: ") == 0);
}

TEST_CASE("training that ran out and was retried equals the job asked at the smaller micro-batch from the start",
          "[oom][train]") {
  set_compute_threads(1);
  const SweepSpec spec = sweep_parse(kSweep, "oom.toml");
  const Job asked = sweep_expand(spec).jobs.at(0);
  REQUIRE(asked.integer("batch_size") == 8);
  REQUIRE(asked.integer("grad_accum") == 1);
  const LoadedData data = load_data(*spec.data);
  const BpeTokenizer tok = BpeTokenizer::train(dataset_corpus(data.dataset), 500);
  ModelConfig config = model_preset("tiny", tok.vocab_size());
  config.text.hidden = 64;
  config.text.intermediate = 128;
  config.text.layers = 2;
  torch::manual_seed(1);
  Vlm model(config);
  model->eval();
  ImageTensors images{data.images, config.vision.image_size, torch::kCPU};
  const auto forget = person_items(data.dataset, forget_persons(data.dataset.splits, 20, "m"), Modality::both);
  const auto retain = person_items(data.dataset, retain_persons(data.dataset.splits, 20, "m"), Modality::both);
  REQUIRE(forget.size() > 8);
  const auto with = [&](const TrainBatching& b) {
    Job job = asked;
    job.hparams["batch_size"] = b.micro_batch;
    job.hparams["grad_accum"] = b.accum;
    return job;
  };
  const auto train = [&](const Job& job) {
    auto method = make_method(job, config);
    return run_unlearning(model, *method, job, tok, data.dataset, images, forget, retain);
  };
  const auto adapters = [&] {
    std::vector<torch::Tensor> out;
    for (const auto& p : model->adapter_parameters()) out.push_back(p.detach().clone());
    return out;
  };

  // The reference: micro-batch 2 x 4 asked for, no injection.
  const UnlearnReport reference_report = train(with({2, 4}));
  const auto reference = adapters();
  model->detach_adapters();

  // Micro-batches above 2 rows run out: the job as asked (8 x 1) throws the GPU's error
  // mid-run, with the adapters it attached still on the model ...
  const InjectionScope inject(OomInjection{2, -1});
  CHECK_THROWS_AS(train(asked), c10::OutOfMemoryError);
  CHECK_FALSE(model->adapter_parameters().empty());
  // ... and retried, it trains at 2 x 4 from fresh adapters: the same numbers.
  UnlearnReport report;
  std::string warning;
  const TrainBatching used = oom_fit(
      TrainBatching{8, 1}, torch::kCPU, "training", [&](const TrainBatching& b) { report = train(with(b)); },
      [&] { model->detach_adapters(); }, warning);
  CHECK(used == TrainBatching{2, 4});
  CHECK(warning.find("retried with micro-batch 2 x 4 accumulation") != std::string::npos);
  const auto retried = adapters();
  REQUIRE(retried.size() == reference.size());
  for (size_t i = 0; i < retried.size(); ++i) CHECK(torch::equal(retried[i], reference[i]));
  CHECK(report.steps == reference_report.steps);
  CHECK(report.epoch_loss == reference_report.epoch_loss);
  model->detach_adapters();
}
