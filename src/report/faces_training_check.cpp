#include "report/faces_training_check.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "report/leaderboard.h"
#include "store/metric_columns.h"
#include "store/results_file.h"

namespace clear_sweep {

std::string unlike_groups(const std::string& what, const std::vector<StageLoss>& a, const std::vector<StageLoss>& b,
                          double factor) {
  const StageLoss *high = nullptr, *low = nullptr;
  double worst = factor;
  for (const auto& x : a)
    for (const auto& y : b) {
      if (!(x.loss > 0) || !(y.loss > 0)) continue;  // NaN (not recorded) or exactly 0
      const double ratio = std::max(x.loss / y.loss, y.loss / x.loss);
      if (ratio > worst) worst = ratio, high = x.loss > y.loss ? &x : &y, low = x.loss > y.loss ? &y : &x;
    }
  if (!high) return "";
  char text[512];
  std::snprintf(text, sizeof text,
                "Table 2: %s were not trained alike: %s ended at loss %.3g, %s at %.3g (%.1fx; more than %.0fx)",
                what.c_str(), high->label.c_str(), high->loss, low->label.c_str(), low->loss, worst, factor);
  return text;
}

std::vector<std::string> shadow_loss_warnings(const std::vector<double>& losses, double factor) {
  std::vector<StageLoss> forget_side, holdout_side, targets, shadows;
  for (size_t k = 0; k < losses.size(); ++k) {
    const bool forget = k % 2 == 0, target = (k / 2) % 2 == 0;
    const StageLoss s{"train_shadow " + std::to_string(k) + " (" + (forget ? "forget" : "holdout") + " side, " +
                          (target ? "target" : "shadow") + ")",
                      losses[k]};
    (forget ? forget_side : holdout_side).push_back(s);
    (target ? targets : shadows).push_back(s);
  }
  std::vector<std::string> out;
  for (auto text :
       {unlike_groups("the forget-side and holdout-side models of U-MIA and U-LIRA", forget_side, holdout_side, factor),
        unlike_groups("the target and shadow models of U-MIA and U-LIRA", targets, shadows, factor)})
    if (!text.empty()) out.push_back(text + "; the attacks may tell them apart by convergence, not membership");
  return out;
}

std::vector<std::string> faces_training_warnings(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& text) {
    if (!text.empty() && seen.insert(text).second) out.push_back(text);
  };
  std::map<std::string, ResultsFile> opened;
  for (const auto& [id, entry] : merged_jobs(files)) {
    const auto& [record, path] = entry;
    if (record.status != RunStatus::ok || benchmark_of(record.metrics) != "faces") continue;
    auto it = opened.find(path);
    if (it == opened.end()) it = opened.emplace(path, ResultsFile::open_read_only(path)).first;
    const auto vectors = it->second.read_vectors(id);
    if (const auto r = vectors.find(kReferenceLossVector); r != vectors.end() && r->second.size() == 2) {
      char gold[64];
      std::snprintf(gold, sizeof gold, "finetune_gold %g%%", record.forget_fraction);
      add(unlike_groups("the Original and Gold models", {{"finetune_base", r->second[0]}}, {{gold, r->second[1]}}));
    }
    if (const auto s = vectors.find(kShadowLossVector); s != vectors.end())
      for (const auto& text : shadow_loss_warnings(s->second)) add(text);
  }
  return out;
}

}  // namespace clear_sweep
