// Reads cases as JSON from stdin, writes what clear-sweep computes for them to stdout,
// for test_membership_reference.py to hold against scikit-learn, scipy, numpy and zlib.
#include <iostream>
#include <nlohmann/json.hpp>

#include "eval/jensen_shannon.h"
#include "eval/membership_inference.h"
#include "eval/memorization.h"

using namespace clear_sweep;

int main() {
  const nlohmann::json in = nlohmann::json::parse(std::cin);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : in) {
    TokenScores t;
    t.logprob = c.at("logprob").get<std::vector<double>>();
    t.correct = c.at("correct").get<std::vector<bool>>();
    t.mean_logprob = c.at("mean").get<std::vector<double>>();
    t.var_logprob = c.at("var").get<std::vector<double>>();
    nlohmann::json r;
    r["em"] = exact_memorization(t);
    r["es"] = extraction_strength(t);
    r["mink"] = min_k_score(t, c.at("k").get<double>());
    r["minkpp"] = min_k_plus_plus_score(t, c.at("k").get<double>());
    r["zlib"] = zlib_score(c.at("loss").get<double>(), c.at("text").get<std::string>());
    r["auc"] =
        membership_auc(c.at("members").get<std::vector<double>>(), c.at("nonmembers").get<std::vector<double>>());
    r["jsd"] =
        jensen_shannon_divergence(c.at("a").get<std::vector<double>>(), c.at("b").get<std::vector<double>>(), 20);
    out.push_back(r);
  }
  std::cout << out.dump() << "\n";
  return 0;
}
