#include <catch2/catch.hpp>

#include "sweep/method_catalog.h"
#include "sweep/sweep_spec.h"
#include "test_support.h"

using namespace clear_sweep;

TEST_CASE("the shipped sweeps parse") {
  SECTION("mini: the embedded default") {
    const SweepSpec s = sweep_load(source_path("sweeps/mini.toml"));
    CHECK(s.name == "mini");
    REQUIRE(s.data);
    CHECK(s.data->source == DataSource::synthetic);
    CHECK(s.data->persons == 40);
    CHECK(s.data->images_per_person == 8);
    CHECK(s.model->preset == "tiny");
    CHECK(s.grid.methods.size() == 10);
    CHECK(s.grid.forget_fractions == std::vector<double>{10});
    CHECK(s.needs_model());
    CHECK(s.forget_persons(10) == 4);
    CHECK(s.text.find("name = \"mini\"") != std::string::npos);
  }
  SECTION("clear-paper: the paper's grid on real CLEAR") {
    const SweepSpec s = sweep_load(source_path("sweeps/clear-paper.toml"));
    CHECK(s.data->source == DataSource::clear);
    CHECK(s.data->path == "/datasets/CLEAR");
    CHECK(s.persons() == 200);
    // The pretrained model, not the random-weight preset: no warning.
    CHECK(s.model->path == "/models/llava-1.5-7b-hf");
    CHECK(s.warnings.empty());
    CHECK(s.finetune.lora_rank == 8);
    CHECK(s.finetune.lora_alpha == 32);
    CHECK(s.grid.modalities.size() == 3);
    CHECK(s.grid.forget_fractions == std::vector<double>{1, 5, 10});
    // CLEAR's splits: 2 / 10 / 20 persons forgotten.
    CHECK(s.forget_persons(1) == 2);
    CHECK(s.forget_persons(5) == 10);
    CHECK(s.forget_persons(10) == 20);
    CHECK(s.grid.shared_axes.at("l1_lambda").values.size() == 2);
    CHECK(s.eval.max_items == 300);
  }
  SECTION("the text benchmarks: tofu-mini, TOFU's and CLEAR Table 1's paper grids") {
    const SweepSpec mini = sweep_load(source_path("sweeps/tofu-mini.toml"));
    CHECK(mini.data->is_tofu());
    CHECK(mini.model->preset == "tiny-text");
    CHECK(mini.grid.modalities == std::vector<Modality>{Modality::text});
    for (const char* file : {"sweeps/tofu-paper.toml", "sweeps/tofu-paper-llama2.toml"}) {
      const SweepSpec s = sweep_load(source_path(file));
      CHECK(s.data->is_tofu());
      CHECK(s.warnings.empty());
      CHECK(s.grid.forget_fractions == std::vector<double>{1, 5, 10});
      CHECK(s.forget_persons(1) == 2);  // forget01: TOFU's last 2 authors
      CHECK(s.grid.methods.size() == 11);
    }
    for (const char* file : {"sweeps/clear-text-paper.toml", "sweeps/clear-text-paper-mistral.toml"}) {
      const SweepSpec s = sweep_load(source_path(file));
      CHECK_FALSE(s.data->is_tofu());
      CHECK(s.grid.modalities == std::vector<Modality>{Modality::text});
      CHECK(s.grid.methods.size() == 10);
      CHECK(s.finetune.lora_rank == 8);
      CHECK(s.finetune.lora_alpha == 32);
    }
  }
  SECTION("the Qwen2-VL grids: CLEAR's on Qwen2-VL-2B, MLLMU-Bench's on Qwen2.5-VL-7B with vision LoRA") {
    const SweepSpec clear = sweep_load(source_path("sweeps/clear-qwen2vl.toml"));
    CHECK(clear.model->prompt == "chat");
    CHECK(clear.model->lora_targets == "decoder");
    CHECK(clear.grid.methods.size() == 10);
    CHECK(clear.grid.modalities.size() == 3);
    CHECK(clear.warnings.empty());
    const SweepSpec mllmu = sweep_load(source_path("sweeps/mllmu-qwen2.5vl.toml"));
    CHECK(mllmu.data->is_mllmu());
    CHECK(mllmu.model->lora_targets == "all");
    CHECK(mllmu.training_context().find(",lora_targets=all") != std::string::npos);
    CHECK(clear.training_context().find("lora_targets") == std::string::npos);  // earlier ids unchanged
  }
  SECTION("MLLMU-Bench's grid on Idefics2-8B: its scripts' LoRA and schedule") {
    const SweepSpec s = sweep_load(source_path("sweeps/mllmu-idefics2.toml"));
    CHECK(s.data->is_mllmu());
    CHECK(s.model->prompt == "llava-1.5");  // as its eval.py asks Idefics2
    CHECK(s.model->lora_targets == "all");
    CHECK(s.finetune.lora_rank == 16);
    CHECK(s.finetune.lora_alpha == 16);
    CHECK(s.grid.methods.size() == 4);
    CHECK(s.warnings.empty());
  }
  SECTION("l1-lora: the L1 study") {
    const SweepSpec s = sweep_load(source_path("sweeps/l1-lora.toml"));
    CHECK(s.grid.seeds == std::vector<int64_t>{0, 1, 2});
    CHECK(s.grid.method_axes.at("gd").at("forget_weight").values.size() == 2);
  }
}

TEST_CASE("[model] lora_targets: decoder or all, refused for the face model and for other values") {
  const std::string head = "name = \"r\"\n[data]\nsource = \"synthetic\"\n";
  const std::string grid = "[grid]\nmethod = [\"ga\"]\nmodality = \"both\"\nforget_fraction = 10\n";
  const SweepSpec all =
      sweep_parse(head + "[model]\npreset = \"tiny-qwen2-vl\"\nlora_targets = \"all\"\n" + grid, "a.toml");
  CHECK(all.model->lora_targets == "all");
  const Error bad = expect_error(
      [&] { sweep_parse(head + "[model]\npreset = \"tiny\"\nlora_targets = \"vision\"\n" + grid, "b.toml"); });
  CHECK(bad.key() == "model.lora_targets");
  const SweepSpec random = sweep_parse(
      "name = \"r\"\n[data]\nsource = \"clear\"\npath = \"/d\"\n"
      "[model]\npreset = \"qwen2-vl-2b\"\n" +
          grid,
      "q.toml");
  REQUIRE(random.warnings.size() == 1);
  CHECK(random.warnings[0].find("random weights") != std::string::npos);
}

TEST_CASE("real models: the random 7B preset on real data warns, LoRA alpha and a base adapter") {
  const std::string head = "name = \"r\"\n[data]\nsource = \"clear\"\npath = \"/d\"\n";
  const std::string grid = "[grid]\nmethod = [\"ga\"]\nmodality = \"both\"\nforget_fraction = 10\n";
  const SweepSpec random = sweep_parse(head + "[model]\npreset = \"llava-1.5-7b\"\n" + grid, "r.toml");
  REQUIRE(random.warnings.size() == 1);
  CHECK(random.warnings[0].find("r.toml: model.preset") == 0);
  CHECK(random.warnings[0].find("randomly initialised") != std::string::npos);
  const std::string model = "[model]\npath = \"/m\"\n";
  const SweepSpec plain = sweep_parse(head + model + "[finetune]\nlora_rank = 8\n" + grid, "p.toml");
  CHECK(plain.warnings.empty());
  // Keys added later stay out of the context unless given: earlier artifacts keep their ids.
  CHECK(plain.training_context().find("lora_alpha") == std::string::npos);
  const SweepSpec alpha = sweep_parse(head + model + "[finetune]\nlora_rank = 8\nlora_alpha = 32\n" + grid, "a.toml");
  CHECK(alpha.training_context() == plain.training_context() + ",lora_alpha=32");
  const SweepSpec adapter =
      sweep_parse(head + model + "[finetune]\nlora_rank = 8\nbase_adapter = \"/lora\"\n" + grid, "b.toml");
  CHECK(adapter.finetune.base_adapter == "/lora");
  CHECK(adapter.training_context() == plain.training_context() + ",base_adapter=/lora");
  const Error e = expect_error([&] { sweep_parse(head + model + "[finetune]\nlora_alpha = 32\n" + grid, "e.toml"); });
  CHECK(e.key() == "finetune.lora_alpha");
}

TEST_CASE("defaults and optional sections") {
  const SweepSpec s = sweep_parse(R"(
name = "n"
[grid]
method = ["noop"]
modality = "text"
forget_fraction = 5
)",
                                  "inline.toml");
  CHECK_FALSE(s.needs_model());
  CHECK_FALSE(s.data);
  CHECK_FALSE(s.model);
  CHECK(s.grid.seeds == std::vector<int64_t>{0});                     // seed defaults to [0]
  CHECK(s.grid.modalities == std::vector<Modality>{Modality::text});  // a scalar is a one-value axis
  CHECK(s.eval.max_items == 300);
  CHECK(s.eval.truth_ratio == TruthRatioForm::per_item);
  CHECK(s.resources.device == "auto");
  CHECK_FALSE(s.resources.activation_checkpointing);
  CHECK(s.training_context() == "clear-sweep/training/v1|no-model");
}

TEST_CASE("integers given for real hyperparameters become doubles") {
  const SweepSpec s = sweep_parse(R"(
name = "n"
[grid]
method = ["noop"]
modality = ["text"]
forget_fraction = [5]
[grid.hparams]
seconds = [1, 2.5]
)",
                                  "inline.toml");
  const auto& values = s.grid.shared_axes.at("seconds").values;
  REQUIRE(values.size() == 2);
  CHECK(std::holds_alternative<double>(values[0]));
  CHECK(std::get<double>(values[0]) == 1.0);
}

TEST_CASE("the method catalog is consistent") {
  std::vector<std::string> names;
  for (const auto& m : method_catalog()) names.push_back(m.name);
  // CLEAR's ten methods, open-unlearning's, the cluster layer's noop, then the visual
  // benchmark's (the ResNet's).
  CHECK(names == std::vector<std::string>{"retain_ft", "ga",      "gd",        "kl",    "idk",      "dpo",
                                          "npo",       "rmu",     "scrub",     "llmu",  "simnpo",   "undial",
                                          "ceu",       "wga",     "satimp",    "pdu",   "noop",     "finetune",
                                          "retrain",   "neggrad", "scrub_bio", "twins", "sparsity", "face_dpo",
                                          "face_llmu", "face_rmu"});
  for (const auto& m : method_catalog()) {
    const bool face = m.kind == ModelKind::faces;
    CHECK(face == (names.end() - std::find(names.begin(), names.end(), m.name) <= 9));
    // Every face method trains the whole ResNet (none of the LoRA settings) and can run
    // the shadow-model attacks.
    if (face) {
      CHECK_FALSE(m.trains);
      CHECK(method_hparam(m, kShadowModelsHParam) != nullptr);
      CHECK(method_hparam(m, "lora_rank") == nullptr);
    }
  }
  for (const auto& m : method_catalog()) {
    CAPTURE(m.name);
    CHECK(m.passes_per_pair > 0);
    for (const auto& d : method_hparams(m)) {
      CAPTURE(d.name);
      CHECK(d.range.contains(hparam_as_double(d.default_value)));  // every default is valid
      CHECK(std::holds_alternative<int64_t>(d.default_value) == (d.type == HParamType::integer));
      CHECK_FALSE(d.doc.empty());
    }
    // A method's own hyperparameter never shadows a shared one.
    if (m.trains)
      for (const auto& own : m.own_hparams)
        for (const auto& shared : training_hparams()) CHECK(own.name != shared.name);
  }
  CHECK(method_find("npo")->needs.teacher);
  CHECK(method_find("rmu")->needs.hidden_states);
  CHECK(method_find("idk")->needs.refusals);
  CHECK_FALSE(method_find("noop")->needs.model);
  CHECK(method_find("nope") == nullptr);
  CHECK(method_hparam(*method_find("ga"), "l1_lambda") != nullptr);
  CHECK(method_hparam(*method_find("noop"), "l1_lambda") == nullptr);
}
