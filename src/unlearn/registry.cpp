#include "common/error.h"
#include "sweep/method_catalog.h"
#include "unlearn/method_family.h"

namespace clear_sweep {

std::unique_ptr<UnlearnMethod> make_method(const Job& job, const ModelConfig& config) {
  std::unique_ptr<UnlearnMethod> method = make_gradient_method(job);
  if (!method) method = make_preference_method(job);
  if (!method) method = make_distillation_method(job);
  if (!method) method = make_reweighted_method(job);
  if (!method) method = make_rmu(job, config);
  if (!method)
    throw Error(
        SourceLocation{}, "method", "no model implementation of '" + job.method + "'", "model methods: " + [] {
          std::string names;
          for (const auto& n : implemented_methods()) names += (names.empty() ? "" : ", ") + n;
          return names;
        }());
  return method;
}

std::vector<std::string> implemented_methods() {
  return {"retain_ft", "ga",   "gd",     "kl",     "idk", "dpo", "npo",    "rmu",
          "scrub",     "llmu", "simnpo", "undial", "ceu", "wga", "satimp", "pdu"};
}

}  // namespace clear_sweep
