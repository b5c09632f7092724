// Finetuning: the tiny preset measurably memorises a small synthetic world, and finetune
// stages are content-addressed artifacts that a second call reuses.
#include <filesystem>
#include <fstream>

#include "data/bpe_tokenizer.h"
#include "data/dataset_source.h"
#include "eval/model_eval.h"
#include "model/checkpoint.h"
#include "model/compute_threads.h"
#include "model/finetune.h"
#include "model/finetune_stage.h"
#include "model/model_inputs.h"
#include "model/peft_adapter.h"
#include "model/scoring.h"
#include "sweep/sweep_expand.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

const char* kSweep = R"(name = "ft"
[data]
persons = 6
images_per_person = 2
seed = 3
[model]
preset = "tiny"
[finetune]
epochs = 25
lr = 3e-3
batch_size = 8
[grid]
method = ["ga"]
modality = ["both"]
forget_fraction = [20]
)";

/// Greedy answers of `items` that equal their reference exactly.
double exact_rate(Vlm& model, const Tokenizer& tok, const LoadedData& data, const std::vector<ItemRef>& items) {
  ImageTensors tensors(data.images, model->config().vision.image_size, torch::kCPU);
  std::vector<Sequence> seqs;
  std::vector<std::string> refs;
  for (const auto& item : items) {
    const ItemText t = item_text(data.dataset, item);
    seqs.push_back(make_sequence(tok, t.prompt, "", t.image, int(model->config().image_tokens())));
    refs.push_back(" " + t.answer);
  }
  GenerateOptions g;
  g.max_new_tokens = 24;
  g.eos_id = tok.special().eos;
  const auto out = generate_greedy(
      model, to_model_inputs(collate(seqs, tok.special().pad, PadSide::left, true), tensors, torch::kCPU), g);
  double hits = 0;
  for (size_t i = 0; i < out.size(); ++i) hits += tok.decode(out[i]) == refs[i];
  return hits / double(out.size());
}

}  // namespace

TEST_CASE("a short finetune of tiny memorises a small world while holdout faces stay unknown", "[model][finetune]") {
  set_compute_threads(1);
  const SweepSpec spec = sweep_parse(kSweep, "ft.toml");
  const LoadedData data = load_data(*spec.data);
  const Dataset& ds = data.dataset;
  ModelConfig config = model_preset("tiny");
  const auto tok = BpeTokenizer::train(dataset_corpus(ds), int32_t(config.text.vocab_size));
  torch::manual_seed(0);
  Vlm model(config);
  const auto qa = person_items(ds, ds.splits.forget_order, Modality::text);
  const double before = exact_rate(model, tok, data, qa);

  FinetuneOptions o;
  o.epochs = 25;
  o.batch_size = 8;
  std::vector<double> losses;
  finetune(model, tok, ds, data.images, finetune_items(ds, ds.splits.forget_order), o,
           [&](const EpochReport& e) { losses.push_back(e.mean_loss); });
  REQUIRE(losses.size() == 25);
  CHECK(losses.back() < 0.1 * losses.front());
  const double after = exact_rate(model, tok, data, qa);
  INFO("exact answers before " << before << ", after " << after);
  CHECK(before == 0.0);
  CHECK(after >= 0.8);
  CHECK(exact_rate(model, tok, data, face_items(ds, ds.splits.forget_order)) >= 0.8);
  CHECK(exact_rate(model, tok, data, face_items(ds, ds.splits.holdout)) == 0.0);

  // The metrics see it: retained knowledge scores high, holdout faces are not named,
  // and the loss attack tells trained persons from holdout ones apart.
  ImageTensors images(data.images, config.vision.image_size, torch::kCPU);
  const auto report = clear_metrics(evaluate_model(model, tok, ds, images, eval_sets(ds, 20, Modality::both, 300), {}));
  INFO("retain_rouge " << report.scalars.at("retain_rouge") << ", umia " << report.scalars.at("umia_auc"));
  CHECK(report.scalars.at("retain_rouge") >= 0.9);
  CHECK(report.scalars.at("forget_rouge") >= 0.9);  // nothing was unlearned yet
  CHECK(report.scalars.at("retain_face_accuracy") >= 0.8);
  CHECK(report.scalars.at("holdout_face_accuracy") == 0.0);
  CHECK(report.scalars.at("umia_auc") > 0.9);

  // Deterministic on CPU: the same seed trains the same weights.
  torch::manual_seed(0);
  Vlm again(config);
  o.epochs = 2;
  torch::manual_seed(0);
  Vlm first(config);
  finetune(first, tok, ds, data.images, finetune_items(ds, ds.splits.forget_order), o);
  finetune(again, tok, ds, data.images, finetune_items(ds, ds.splits.forget_order), o);
  const auto a = first->named_parameters(), b = again->named_parameters();
  for (const auto& p : a) CHECK(torch::equal(p.value(), b[p.key()]));
}

TEST_CASE("finetune stages write content-addressed artifacts that are reused", "[model][finetune]") {
  set_compute_threads(1);
  std::string text = kSweep;
  text.replace(text.find("epochs = 25"), 11, "epochs = 2");
  const SweepSpec spec = sweep_parse(text, "ft.toml");
  const SweepPlan plan = sweep_expand(spec);
  REQUIRE(plan.stages.size() == 2);  // base, gold 20 %
  const LoadedData data = load_data(*spec.data);
  TempDir tmp;
  std::vector<std::string> lines;
  const auto base = run_finetune_stage(spec, plan.stages[0], data, tmp.path(), "cpu",
                                       [&](const std::string& l) { lines.push_back(l); });
  CHECK(!base.reused);
  CHECK(lines.size() == 2);
  CHECK(stage_complete(tmp.path(), plan.stages[0]));
  CHECK(!stage_complete(tmp.path(), plan.stages[1]));
  CHECK(std::filesystem::path(base.dir).filename() == plan.stages[0].id);
  const auto gold = run_finetune_stage(spec, plan.stages[1], data, tmp.path(), "cpu");
  CHECK(!gold.reused);
  CHECK(run_finetune_stage(spec, plan.stages[0], data, tmp.path(), "cpu").reused);

  // The artifact is a model folder: it loads, with the tokenizer the stage trained.
  auto loaded = load_model(base.dir);
  CHECK(loaded.tokenizer->kind() == "bpe");
  CHECK(loaded.model->config().text.vocab_size == loaded.tokenizer->vocab_size());
  CHECK(loaded.model->config().image_token_id == loaded.tokenizer->special().image);
  int hidden = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path()))
    hidden += entry.path().filename().string()[0] == '.';
  CHECK(hidden == 0);  // no partial folders left behind

  // Damage: stage.json lists every file's size and SHA-256. A changed byte passes the
  // cheap size check that workers make, and fails the hash check the stage makes before
  // it reuses a folder, which then trains again beside the kept damaged one.
  CHECK(stage_damage(tmp.path(), plan.stages[0], true).empty());
  const std::string model_file = base.dir + "/model.safetensors";
  {
    std::fstream f(model_file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('\x7f');
  }
  CHECK(stage_complete(tmp.path(), plan.stages[0]));
  CHECK(stage_damage(tmp.path(), plan.stages[0], true) ==
        "model.safetensors: its SHA-256 is not the one stage.json lists");
  lines.clear();
  const auto again = run_finetune_stage(spec, plan.stages[0], data, tmp.path(), "cpu",
                                        [&](const std::string& l) { lines.push_back(l); });
  CHECK(!again.reused);
  REQUIRE(!lines.empty());
  CHECK(lines.front().find("is damaged (model.safetensors: its SHA-256") != std::string::npos);
  CHECK(stage_damage(tmp.path(), plan.stages[0], true).empty());
  int damaged = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path()))
    damaged += entry.path().filename().string().find(".damaged-") != std::string::npos;
  CHECK(damaged == 1);
  // A missing file, and a size that differs: the cheap check catches both.
  std::filesystem::remove(gold.dir + "/tokenizer.json");
  CHECK(stage_damage(tmp.path(), plan.stages[1], false) == "tokenizer.json is missing");
  CHECK(!stage_complete(tmp.path(), plan.stages[1]));
  std::filesystem::resize_file(base.dir + "/config.json", 3);
  CHECK(stage_damage(tmp.path(), plan.stages[0], false).rfind("config.json: 3 bytes, stage.json says ", 0) == 0);
}

TEST_CASE("a PEFT adapter folds into [model] as the base stage, and the image processor goes with it",
          "[model][finetune][peft]") {
  set_compute_threads(1);
  TempDir tmp;
  // A model folder from elsewhere: weights, tokenizer, a CLIP processor, and a LoRA.
  const SweepSpec world = sweep_parse(kSweep, "ft.toml");
  const LoadedData data = load_data(*world.data);
  ModelConfig config = model_preset("tiny");
  const auto tok = BpeTokenizer::train(dataset_corpus(data.dataset), int32_t(config.text.vocab_size));
  config.text.vocab_size = tok.vocab_size();
  config.image_token_id = tok.special().image;
  config.pad_token_id = tok.special().pad;
  torch::manual_seed(5);
  Vlm model(config);
  const std::string model_dir = tmp.file("pretrained"), adapter_dir = tmp.file("lora");
  save_model(model, tok, model_dir);
  std::ofstream(model_dir + "/preprocessor_config.json")
      << R"({"image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 32},
            "crop_size": {"height": 32, "width": 32}})";
  {
    torch::NoGradGuard no_grad;
    model->attach_adapters({4, 16.0, 0.0});
    for (auto& [name, layer] : model->linear_layers())
      if (layer->has_adapter()) layer->lora_b().normal_(0.0, 0.05);
    save_peft_adapter(model, adapter_dir);
    model->fold_adapters();  // what the base stage must hold
  }

  std::string text = kSweep;
  text.replace(text.find("preset = \"tiny\""), 15, "path = \"" + model_dir + "\"");
  text.replace(text.find("epochs = 25"), 11, "epochs = 25\nlora_rank = 4\nbase_adapter = \"" + adapter_dir + "\"");
  const SweepSpec spec = sweep_parse(text, "adapter.toml");
  const SweepPlan plan = sweep_expand(spec);
  std::vector<std::string> lines;
  const auto base = run_finetune_stage(spec, plan.stages[0], data, tmp.file("artifacts"), "cpu",
                                       [&](const std::string& l) { lines.push_back(l); });
  REQUIRE(lines.size() == 1);  // folded, no epoch trained
  CHECK(lines[0].find("folded the adapter") != std::string::npos);
  const Vlm stored = load_vlm(base.dir);
  auto expected = model->named_parameters();
  for (const auto& p : stored->named_parameters()) CHECK(torch::allclose(p.value(), expected[p.key()], 1e-6, 1e-6));
  CHECK(std::filesystem::exists(base.dir + "/preprocessor_config.json"));
  CHECK(load_image_processor(base.dir, 32, false).kind == ImageProcessor::Kind::clip);
}
