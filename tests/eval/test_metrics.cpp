// CLEAR's metrics on hand-made inputs: truth ratios (per-item and pooled) and their
// aggregations, Prob on QA and option sets, harmonic means with a zero, U-MIA AUC
// against a pair-by-pair count, forget quality of a model against itself.
#include <cmath>

#include "eval/clear_metrics.h"
#include "store/metric_columns.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

SetScores qa_set() {
  SetScores s;
  s.answer_loss = {0.5, 1.0, 2.0};
  s.paraphrase_loss = {1.0, 2.0, NAN};
  s.perturbed_loss = {{2.0, 3.0}, {1.0, 1.0, 1.0}, {4.0}};
  s.references = {"Kalo Mira was born in Lisbon.", "a b c d", "x"};
  s.generations = {"Kalo Mira was born in Oslo.", "a c", ""};
  return s;
}

}  // namespace

TEST_CASE("truth ratios per item and pooled, and their two aggregations", "[eval][metrics]") {
  const SetScores s = qa_set();
  const auto tr = truth_ratios(s, TruthRatioForm::per_item, false);
  REQUIRE(tr.size() == 3);
  CHECK(tr[0] == Approx(std::exp(2.5 - 1.0)));
  CHECK(tr[1] == Approx(std::exp(1.0 - 2.0)));
  CHECK(std::isnan(tr[2]));  // no paraphrase
  CHECK(forget_truth_statistic(tr) == Approx((std::exp(-1.5) + std::exp(-1.0)) / 2));
  CHECK(retain_truth_statistic(tr) == Approx((1 - std::exp(-1.5) + 0.0) / 2));  // max(0, 1 - e) = 0
  // Pooled: the perturbed mean over the set (2.5, 1, 4 -> 2.5) for every item.
  const auto pooled = truth_ratios(s, TruthRatioForm::pooled, false);
  CHECK(pooled[0] == Approx(std::exp(2.5 - 1.0)));
  CHECK(pooled[1] == Approx(std::exp(2.5 - 2.0)));
  // Option sets compare against the answer itself.
  const auto options = truth_ratios(s, TruthRatioForm::per_item, true);
  CHECK(options[2] == Approx(std::exp(4.0 - 2.0)));
}

TEST_CASE("Prob on QA sets, on option sets, ROUGE and name accuracy", "[eval][metrics]") {
  const SetScores s = qa_set();
  CHECK(mean_prob(s) == Approx((std::exp(-0.5) + std::exp(-1.0) + std::exp(-2.0)) / 3));
  const double p0 = std::exp(-0.5) / (std::exp(-0.5) + std::exp(-2.0) + std::exp(-3.0));
  const double p1 = std::exp(-1.0) / (4 * std::exp(-1.0));
  const double p2 = std::exp(-2.0) / (std::exp(-2.0) + std::exp(-4.0));
  CHECK(option_prob(s) == Approx((p0 + p1 + p2) / 3));
  CHECK(mean_rouge_recall(s) == Approx((5.0 / 6 + 0.5 + 0.0) / 3));
  SetScores faces;
  faces.references = {"Kalo Mira", "Vo Sa"};
  faces.generations = {"kalo mira.", "Someone Else"};
  CHECK(name_accuracy(faces) == 0.5);
}

TEST_CASE("harmonic means: a zero gives zero, NaN propagates", "[eval][metrics]") {
  CHECK(harmonic_mean({1.0, 0.5}) == Approx(2.0 / 3.0));
  CHECK(harmonic_mean({0.9, 0.0, 0.7}) == 0.0);
  CHECK(std::isnan(harmonic_mean({})));
  CHECK(std::isnan(harmonic_mean({0.5, NAN})));
  CHECK(harmonic_mean({0.25}) == 0.25);
}

TEST_CASE("U-MIA AUC equals the pair-by-pair count, ties half", "[eval][metrics]") {
  const std::vector<double> members{0.1, 0.5, 0.5, 2.0}, holdout{0.5, 1.0, 3.0};
  double wins = 0;
  for (double m : members)
    for (double h : holdout) wins += m < h ? 1.0 : m == h ? 0.5 : 0.0;
  CHECK(umia_auc(members, holdout) == Approx(wins / 12.0));
  CHECK(umia_auc({1, 2, 3}, {1, 2, 3}) == Approx(0.5));
  CHECK(umia_auc({0.1, 0.2}, {5, 6}) == 1.0);  // members all lower: fully exposed
  CHECK(std::isnan(umia_auc({}, {1.0})));
}

TEST_CASE("clear_metrics fills every column, and the gold model against itself has forget quality 1",
          "[eval][metrics]") {
  EvalInputs in;
  in.forget = qa_set();
  in.retain = qa_set();
  in.forget_faces.answer_loss = {0.1, 3.0};
  in.forget_faces.perturbed_loss = {{2.0, 2.0}, {0.5}};
  in.forget_faces.references = {"A", "B"};
  in.forget_faces.generations = {"A", "C"};
  in.retain_faces = in.forget_faces;
  in.holdout_faces = in.forget_faces;
  in.real_faces = in.forget_faces;
  in.real_world = in.forget_faces;
  in.holdout = qa_set();
  in.gold_forget_truth_ratios = truth_ratios(in.forget, TruthRatioForm::per_item, false);
  const EvalReport r = clear_metrics(in);
  CHECK(r.scalars.size() == metric_columns().size());
  for (const auto& column : metric_columns()) CHECK(r.scalars.count(column.name) == 1);
  CHECK(r.scalars.at("forget_quality") == 1.0);
  CHECK(r.scalars.at("log_forget_quality") == 0.0);
  CHECK(r.scalars.at("forget_face_accuracy") == 0.5);
  CHECK(r.scalars.at("umia_auc") == Approx(0.5));
  CHECK(r.scalars.at("model_utility") > 0);
  CHECK(r.vectors.at("forget_truth_ratio").size() == 3);
  // Face option accuracy: A (0.1 against 2, 2) wins, B (3.0 against 0.5) loses.
  CHECK(r.vectors.at("forget_face_option_correct") == std::vector<double>{1.0, 0.0});
  in.modality = Modality::text;
  CHECK(clear_metrics(in).scalars.at("clear_forget") ==
        Approx(harmonic_mean(
            {r.scalars.at("forget_rouge"), r.scalars.at("forget_prob"), r.scalars.at("forget_truth_ratio")})));
}

TEST_CASE("a text-only model's means leave out what it was not asked and TOFU's columns are only for TOFU",
          "[eval][metrics]") {
  EvalInputs in;
  in.forget = qa_set();
  in.retain = qa_set();
  in.holdout = qa_set();
  in.modality = Modality::text;
  in.text_only = true;
  SetScores options;
  options.answer_loss = {0.1, 3.0};
  options.perturbed_loss = {{2.0, 2.0}, {0.5}};
  options.references = {"Lisbon", "Oslo"};
  options.generations = {"Lisbon", "Kyoto"};
  const EvalReport text = clear_metrics(in);  // no face set, no real set (CLEAR's are pictures)
  const auto& s = text.scalars;
  CHECK(s.at("model_utility") ==
        Approx(harmonic_mean({s.at("retain_rouge"), s.at("retain_prob"), s.at("retain_truth_ratio")})));
  CHECK(s.at("clear_retain") == Approx(harmonic_mean({s.at("retain_prob"), s.at("retain_truth_ratio")})));
  CHECK(std::isnan(s.at("clear_real")));
  for (const auto& name : tofu_metric_names()) CHECK(std::isnan(s.at(name)));
  // A real set it was asked (text questions) counts.
  in.real_world = options;
  const auto& with_world = clear_metrics(in).scalars;
  CHECK(with_world.at("model_utility") ==
        Approx(harmonic_mean({s.at("retain_rouge"), s.at("retain_prob"), s.at("retain_truth_ratio"),
                              with_world.at("real_world_prob"), with_world.at("real_world_truth_ratio")})));
  // A VLM's means keep every term: a face set it was not given makes them NaN.
  in.text_only = false;
  CHECK(std::isnan(clear_metrics(in).scalars.at("model_utility")));
  // TOFU: its real authors and world facts, and model utility as its nine.
  in.text_only = true;
  in.tofu = true;
  in.real_authors = options;
  const auto& tofu = clear_metrics(in).scalars;
  CHECK(tofu.at("tofu_real_authors_rouge") == Approx(0.5));
  CHECK(tofu.at("tofu_world_facts_prob") == Approx(option_prob(options)));
  CHECK(tofu.at("model_utility") ==
        Approx(harmonic_mean({s.at("retain_prob"), s.at("retain_rouge"), s.at("retain_truth_ratio"),
                              tofu.at("tofu_real_authors_prob"), tofu.at("tofu_real_authors_rouge"),
                              tofu.at("tofu_real_authors_truth_ratio"), tofu.at("tofu_world_facts_prob"),
                              tofu.at("tofu_world_facts_rouge"), tofu.at("tofu_world_facts_truth_ratio")})));
}
