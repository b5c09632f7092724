// Reads TOFU evaluation cases as JSON from stdin (per set: answer, paraphrase and
// perturbed losses, references and generations), writes the TOFU columns clear_metrics
// computes for each to stdout, for test_tofu_metrics_reference.py to hold against
// open-unlearning's formulas in numpy, scipy and rouge_score.
#include <iostream>
#include <nlohmann/json.hpp>

#include "eval/clear_metrics.h"

using namespace clear_sweep;

namespace {

SetScores set_of(const nlohmann::json& j) {
  SetScores s;
  s.answer_loss = j.at("answer_loss").get<std::vector<double>>();
  s.perturbed_loss = j.at("perturbed_loss").get<std::vector<std::vector<double>>>();
  s.paraphrase_loss = j.contains("paraphrase_loss") ? j.at("paraphrase_loss").get<std::vector<double>>()
                                                    : std::vector<double>(s.answer_loss.size(), NAN);
  s.references = j.at("references").get<std::vector<std::string>>();
  s.generations = j.at("generations").get<std::vector<std::string>>();
  s.answers = s.references;
  s.answer_tokens.resize(s.answer_loss.size());
  return s;
}

}  // namespace

int main() {
  const nlohmann::json in = nlohmann::json::parse(std::cin);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : in) {
    EvalInputs e;
    e.tofu = true;
    e.text_only = true;
    e.modality = Modality::text;
    e.forget = set_of(c.at("forget"));
    e.retain = set_of(c.at("retain"));
    e.real_authors = set_of(c.at("real_authors"));
    e.real_world = set_of(c.at("world_facts"));
    e.holdout = set_of(c.at("forget"));
    e.gold_forget_truth_ratios = truth_ratios(set_of(c.at("gold_forget")), TruthRatioForm::per_item, false);
    const EvalReport r = clear_metrics(e);
    nlohmann::json o;
    for (const char* name :
         {"forget_prob", "forget_rouge", "forget_truth_ratio", "retain_prob", "retain_rouge", "retain_truth_ratio",
          "tofu_real_authors_prob", "tofu_real_authors_rouge", "tofu_real_authors_truth_ratio", "tofu_world_facts_prob",
          "tofu_world_facts_rouge", "tofu_world_facts_truth_ratio", "model_utility", "forget_quality"})
      o[name] = r.scalars.at(name);
    out.push_back(o);
  }
  std::cout << out.dump() << "\n";
  return 0;
}
