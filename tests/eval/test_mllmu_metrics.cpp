// MLLMU-Bench's metrics from hand-made answers: what counts as right for each task, the
// Types kept apart, NaN where a set has no such question, and which benchmark's columns
// a job fills.
#include <cmath>

#include "eval/mllmu_metrics.h"
#include "eval/rouge.h"
#include "store/metric_columns.h"
#include "test_support.h"

using namespace clear_sweep;

namespace {

void add(MllmuSetScores& set, MllmuTask task, bool image, const std::string& reference, const std::string& answer) {
  set.tasks.push_back(task);
  set.with_image.push_back(image);
  set.scores.answer_loss.push_back(1.0);
  set.scores.paraphrase_loss.push_back(NAN);
  set.scores.perturbed_loss.push_back({});
  set.scores.references.push_back(reference);
  set.scores.generations.push_back(answer);
}

}  // namespace

TEST_CASE("MLLMU metrics: classification, cloze and generation per Type, by hand", "[eval][mllmu]") {
  EvalInputs in;
  in.mllmu = true;
  MllmuSetScores& f = in.mllmu_forget;
  // Classification with the image: right, right (lower case), wrong, empty -> 2 / 4.
  add(f, MllmuTask::choice, true, "B", "B");
  add(f, MllmuTask::choice, true, "C", "c) Kyoto");
  add(f, MllmuTask::choice, true, "A", "The answer is A");
  add(f, MllmuTask::choice, true, "D", "");
  // Without: 1 / 1.
  add(f, MllmuTask::choice, false, "A", " A");
  // Cloze: the ground truth inside the answer, case ignored -> image 1 / 2, text 0 / 1.
  add(f, MllmuTask::cloze, true, "Lisbon", "in LISBON, by the sea");
  add(f, MllmuTask::cloze, true, "Lisbon", "Porto");
  add(f, MllmuTask::cloze, false, "1987", "");
  // Generation: an exact answer and a disjoint one (image); one half-right (text).
  add(f, MllmuTask::generation, true, "Ana was born in Lisbon.", "Ana was born in Lisbon.");
  add(f, MllmuTask::generation, true, "Ana was born in Lisbon.", "zebra");
  add(f, MllmuTask::generation, false, "Ana writes poetry.", "Ana writes novels.");

  EvalReport r = clear_metrics(in);
  auto& s = r.scalars;
  CHECK(s.at("mllmu_forget_cls_image") == Approx(0.5));
  CHECK(s.at("mllmu_forget_cls_text") == Approx(1.0));
  CHECK(s.at("mllmu_forget_cloze_image") == Approx(0.5));
  CHECK(s.at("mllmu_forget_cloze_text") == Approx(0.0));
  CHECK(s.at("mllmu_forget_rougeL_image") == Approx(0.5));  // (1 + 0) / 2
  CHECK(s.at("mllmu_forget_rouge1_image") == Approx(0.5));
  CHECK(s.at("mllmu_forget_rouge2_image") == Approx(0.5));
  CHECK(s.at("mllmu_forget_bleu_image") == Approx(0.5));  // exact: 1; nothing shared: 0
  // "ana write poetri" vs "ana write novel": 2 of 3 unigrams, 1 of 2 bigrams.
  CHECK(s.at("mllmu_forget_rouge1_text") == Approx(2.0 / 3));
  CHECK(s.at("mllmu_forget_rouge2_text") == Approx(0.5));
  CHECK(s.at("mllmu_forget_rougeL_text") == Approx(rouge_l("Ana writes poetry.", "Ana writes novels.").fmeasure));
  // Per item: correct for choice and cloze, NaN for generation; ROUGE-L for generation only.
  const auto& correct = r.vectors.at("mllmu_forget_correct");
  REQUIRE(correct.size() == 11);
  CHECK(correct[0] == 1.0);
  CHECK(correct[1] == 1.0);
  CHECK(correct[2] == 0.0);
  CHECK(correct[3] == 0.0);
  CHECK(std::isnan(correct[8]));
  CHECK(std::isnan(r.vectors.at("mllmu_forget_rougeL")[0]));
  CHECK(r.vectors.at("mllmu_forget_rougeL")[8] == Approx(1.0));
  // Sets with no questions, and CLEAR's columns, are NaN; every column is there.
  CHECK(std::isnan(s.at("mllmu_test_cls_image")));
  CHECK(std::isnan(s.at("mllmu_celebrity_bleu_text")));
  CHECK(std::isnan(s.at("forget_quality")));
  CHECK(std::isnan(s.at("model_utility")));
  for (const auto& column : metric_columns()) CHECK(s.count(column.name) == 1);
  for (const auto& [name, value] : s) CHECK(metric_column_index(name) >= 0);
}

TEST_CASE("MLLMU metrics: a CLEAR job leaves MLLMU's columns NaN", "[eval][mllmu]") {
  EvalInputs in;  // empty CLEAR sets
  const EvalReport r = clear_metrics(in);
  for (const auto& set : mllmu_set_names())
    for (const auto& measure : mllmu_measures())
      for (bool image : {true, false}) {
        const std::string column = mllmu_column(set, measure, image);
        REQUIRE(r.scalars.count(column) == 1);
        CHECK(std::isnan(r.scalars.at(column)));
      }
  for (const auto& column : metric_columns()) CHECK(r.scalars.count(column.name) == 1);
}
