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
    CHECK(s.model->preset == "llava-1.5-7b");
    CHECK(s.grid.modalities.size() == 3);
    CHECK(s.grid.forget_fractions == std::vector<double>{1, 5, 10});
    // CLEAR's splits: 2 / 10 / 20 persons forgotten.
    CHECK(s.forget_persons(1) == 2);
    CHECK(s.forget_persons(5) == 10);
    CHECK(s.forget_persons(10) == 20);
    CHECK(s.grid.shared_axes.at("l1_lambda").values.size() == 2);
    CHECK(s.eval.max_items == 300);
  }
  SECTION("l1-lora: the L1 study") {
    const SweepSpec s = sweep_load(source_path("sweeps/l1-lora.toml"));
    CHECK(s.grid.seeds == std::vector<int64_t>{0, 1, 2});
    CHECK(s.grid.method_axes.at("gd").at("forget_weight").values.size() == 2);
  }
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
  // CLEAR's ten methods and the cluster layer's noop.
  CHECK(names ==
        std::vector<std::string>{"retain_ft", "ga", "gd", "kl", "idk", "dpo", "npo", "rmu", "scrub", "llmu", "noop"});
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
