#include "eval/mllmu_metrics.h"

#include <cmath>
#include <limits>
#include <map>

#include "eval/answer_parsing.h"
#include "eval/bleu.h"
#include "eval/rouge.h"

namespace clear_sweep {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A running mean that stays NaN with no values, as eval.py leaves a Type with no
/// questions out of its printout.
struct Mean {
  double sum = 0;
  int64_t n = 0;
  void add(double x) {
    sum += x;
    ++n;
  }
  double value() const { return n ? sum / double(n) : kNaN; }
};

void add_set(const std::string& set, const MllmuSetScores& in, EvalReport& report) {
  std::map<std::string, Mean> means;  // by column
  std::vector<double> correct(in.tasks.size(), kNaN), rouge_l_items(in.tasks.size(), kNaN);
  for (size_t i = 0; i < in.tasks.size(); ++i) {
    const bool image = in.with_image[i];
    const std::string& reference = in.scores.references.at(i);
    const std::string& generation = in.scores.generations.at(i);
    switch (in.tasks[i]) {
      case MllmuTask::choice: {
        const auto letter = choice_letter(generation, "ABCD");
        correct[i] = letter && reference.size() == 1 && *letter == reference[0] ? 1.0 : 0.0;
        means[mllmu_column(set, "cls", image)].add(correct[i]);
        break;
      }
      case MllmuTask::cloze:
        correct[i] = cloze_correct(reference, assistant_response(generation)) ? 1.0 : 0.0;
        means[mllmu_column(set, "cloze", image)].add(correct[i]);
        break;
      case MllmuTask::generation: {
        const std::string answer = assistant_response(generation);
        rouge_l_items[i] = rouge_l(reference, answer).fmeasure;
        means[mllmu_column(set, "rouge1", image)].add(rouge_n(reference, answer, 1).fmeasure);
        means[mllmu_column(set, "rouge2", image)].add(rouge_n(reference, answer, 2).fmeasure);
        means[mllmu_column(set, "rougeL", image)].add(rouge_l_items[i]);
        means[mllmu_column(set, "bleu", image)].add(sentence_bleu(reference, answer));
        break;
      }
    }
  }
  for (const auto& measure : mllmu_measures())
    for (bool image : {true, false}) {
      const std::string column = mllmu_column(set, measure, image);
      const auto it = means.find(column);
      report.scalars[column] = it == means.end() ? kNaN : it->second.value();
    }
  report.vectors["mllmu_" + set + "_correct"] = correct;
  report.vectors["mllmu_" + set + "_rougeL"] = rouge_l_items;
}

}  // namespace

const std::vector<std::string>& mllmu_set_names() {
  static const std::vector<std::string> names{"forget", "test", "retain", "celebrity"};
  return names;
}

const std::vector<std::string>& mllmu_measures() {
  static const std::vector<std::string> measures{"cls", "cloze", "rouge1", "rouge2", "rougeL", "bleu"};
  return measures;
}

std::string mllmu_column(const std::string& set, const std::string& measure, bool with_image) {
  return "mllmu_" + set + "_" + measure + (with_image ? "_image" : "_text");
}

void add_mllmu_metrics(const EvalInputs& in, EvalReport& report) {
  add_set("forget", in.mllmu_forget, report);
  add_set("test", in.mllmu_test, report);
  add_set("retain", in.mllmu_retain, report);
  add_set("celebrity", in.mllmu_celebrity, report);
}

}  // namespace clear_sweep
