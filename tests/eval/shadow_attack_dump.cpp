// Reads U-LIRA / U-MIA cases as JSON from stdin and writes what clear-sweep computes for
// them, for test_shadow_attacks_reference.py to hold against scipy and scikit-learn.
#include <iostream>
#include <nlohmann/json.hpp>

#include "eval/shadow_attacks.h"

using namespace clear_sweep;

int main() {
  const nlohmann::json in = nlohmann::json::parse(std::cin);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : in) {
    std::vector<ShadowSample> samples;
    for (const auto& s : c.at("samples")) {
      ShadowSample x;
      x.shadow_in = s.at("shadow_in").get<std::vector<double>>();
      x.shadow_out = s.at("shadow_out").get<std::vector<double>>();
      x.target_in = s.at("target_in").get<std::vector<double>>();
      x.target_out = s.at("target_out").get<std::vector<double>>();
      samples.push_back(std::move(x));
    }
    const auto u = ulira(samples);
    const auto m = umia(samples);
    const auto fit = umia_fit(samples);
    out.push_back({{"ulira_accuracy", u.accuracy},
                   {"ulira_auc", u.auc},
                   {"umia_accuracy", m.accuracy},
                   {"umia_auc", m.auc},
                   {"weight", fit.weight},
                   {"bias", fit.bias},
                   {"guesses", u.guesses},
                   {"logits", [&] {
                      std::vector<double> l;
                      for (double cos : c.at("cosines").get<std::vector<double>>()) l.push_back(similarity_logit(cos));
                      return l;
                    }()}});
  }
  std::cout << out.dump() << "\n";
  return 0;
}
