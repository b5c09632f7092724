#include "eval/clear_metrics.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "eval/jensen_shannon.h"
#include "eval/ks_test.h"
#include "eval/membership_inference.h"
#include "eval/memorization.h"
#include "eval/mllmu_metrics.h"
#include "eval/rouge.h"
#include "store/metric_columns.h"

namespace clear_sweep {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) {
      sum += x;
      ++n;
    }
  return n ? sum / double(n) : kNaN;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<double> truth_ratios(const SetScores& set, TruthRatioForm form, bool option_set) {
  std::vector<double> pooled_means;
  double pooled = kNaN;
  if (form == TruthRatioForm::pooled) {
    for (const auto& p : set.perturbed_loss) pooled_means.push_back(mean_of(p));
    pooled = mean_of(pooled_means);
  }
  std::vector<double> out(set.size(), kNaN);
  for (size_t i = 0; i < set.size(); ++i) {
    const double right = option_set ? set.answer_loss[i] : set.paraphrase_loss.at(i);
    const double wrong = form == TruthRatioForm::pooled ? pooled : mean_of(set.perturbed_loss.at(i));
    if (std::isfinite(right) && std::isfinite(wrong)) out[i] = std::exp(wrong - right);
  }
  return out;
}

double forget_truth_statistic(const std::vector<double>& trs) {
  std::vector<double> v;
  for (double tr : trs)
    if (std::isfinite(tr) && tr > 0) v.push_back(std::min(tr, 1.0 / tr));
  return mean_of(v);
}

double retain_truth_statistic(const std::vector<double>& trs) {
  std::vector<double> v;
  for (double tr : trs)
    if (std::isfinite(tr) && tr > 0) v.push_back(std::max(0.0, 1.0 - 1.0 / tr));
  return mean_of(v);
}

double mean_prob(const SetScores& set) {
  std::vector<double> p;
  for (double loss : set.answer_loss) p.push_back(std::exp(-loss));
  return mean_of(p);
}

double option_prob(const SetScores& set) {
  std::vector<double> p;
  for (size_t i = 0; i < set.size(); ++i) {
    const double right = std::exp(-set.answer_loss[i]);
    double wrong = 0;
    for (double loss : set.perturbed_loss.at(i)) wrong += std::exp(-loss);
    if (right + wrong > 0) p.push_back(right / (right + wrong));
  }
  return mean_of(p);
}

double mean_rouge_recall(const SetScores& set) {
  std::vector<double> r;
  for (size_t i = 0; i < set.generations.size(); ++i)
    r.push_back(rouge_l(set.references[i], set.generations[i]).recall);
  return mean_of(r);
}

double name_accuracy(const SetScores& set) {
  std::vector<double> hits;
  for (size_t i = 0; i < set.generations.size(); ++i)
    hits.push_back(lower(set.generations[i]).find(lower(set.references[i])) != std::string::npos ? 1.0 : 0.0);
  return mean_of(hits);
}

std::vector<double> option_correct(const SetScores& set) {
  std::vector<double> out;
  for (size_t i = 0; i < set.size(); ++i) {
    bool best = std::isfinite(set.answer_loss[i]);
    for (double loss : set.perturbed_loss.at(i)) best = best && set.answer_loss[i] < loss;
    out.push_back(best ? 1.0 : 0.0);
  }
  return out;
}

double harmonic_mean(const std::vector<double>& values) {
  if (values.empty()) return kNaN;
  double inverse_sum = 0;
  for (double v : values) {
    if (std::isnan(v)) return kNaN;
    if (v <= 0) return 0.0;
    inverse_sum += 1.0 / v;
  }
  return double(values.size()) / inverse_sum;
}

double umia_auc(const std::vector<double>& members, const std::vector<double>& nonmembers) {
  if (members.empty() || nonmembers.empty()) return kNaN;
  // Mann-Whitney U over ranks: O((n + m) log(n + m)) rather than every pair.
  std::vector<std::pair<double, int>> all;
  for (double x : members) all.emplace_back(x, 1);
  for (double x : nonmembers) all.emplace_back(x, 0);
  std::sort(all.begin(), all.end());
  double member_rank_sum = 0;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double rank = (double(i) + double(j - 1)) / 2.0 + 1.0;  // average rank of the tie
    for (size_t k = i; k < j; ++k)
      if (all[k].second) member_rank_sum += rank;
    i = j;
  }
  const double n = double(members.size()), m = double(nonmembers.size());
  // U counts pairs where the member's loss is the larger; the attack calls low loss a member.
  const double u = member_rank_sum - n * (n + 1) / 2.0;
  return 1.0 - u / (n * m);
}

namespace {

double mean_exact_memorization(const SetScores& set) {
  std::vector<double> em;
  for (const auto& t : set.answer_tokens) em.push_back(exact_memorization(t));
  return mean_of(em);
}

/// open-unlearning's memorisation and membership-inference metrics, and the
/// Jensen-Shannon forget quality.
void add_memorization_metrics(const EvalInputs& in, const std::vector<double>& forget_tr, EvalReport& r) {
  auto& s = r.scalars;
  auto per_item = [](const SetScores& set, double (*f)(const TokenScores&)) {
    std::vector<double> out;
    for (const auto& t : set.answer_tokens) out.push_back(f(t));
    return out;
  };
  const auto forget_em = per_item(in.forget, exact_memorization);
  const auto forget_es = per_item(in.forget, extraction_strength);
  s["forget_exact_memorization"] = mean_of(forget_em);
  s["retain_exact_memorization"] = mean_exact_memorization(in.retain);
  s["forget_extraction_strength"] = mean_of(forget_es);
  s["retain_extraction_strength"] = mean_of(per_item(in.retain, extraction_strength));
  r.vectors["forget_exact_memorization"] = forget_em;
  r.vectors["forget_extraction_strength"] = forget_es;

  // Each attack's scores on forget (members) and holdout (non-members), higher for a
  // likely non-member; LOSS is umia_auc.
  struct Attack {
    const char* name;
    std::function<double(const SetScores&, size_t)> score;
  };
  // A set scored without its answers' texts or tokens gives NaN, left out of the AUC.
  const std::vector<Attack> attacks{
      {"zlib", [](const SetScores& set,
                  size_t i) { return i < set.answers.size() ? zlib_score(set.answer_loss[i], set.answers[i]) : kNaN; }},
      {"mink", [](const SetScores& set,
                  size_t i) { return i < set.answer_tokens.size() ? min_k_score(set.answer_tokens[i]) : kNaN; }},
      {"minkpp",
       [](const SetScores& set, size_t i) {
         return i < set.answer_tokens.size() ? min_k_plus_plus_score(set.answer_tokens[i]) : kNaN;
       }},
      // A larger gradient: a less familiar item.
      {"gradnorm", [](const SetScores& set, size_t i) { return i < set.grad_norm.size() ? set.grad_norm[i] : kNaN; }},
  };
  for (const auto& attack : attacks) {
    std::vector<double> members, nonmembers;
    for (size_t i = 0; i < in.forget.size(); ++i) members.push_back(attack.score(in.forget, i));
    for (size_t i = 0; i < in.holdout.size(); ++i) nonmembers.push_back(attack.score(in.holdout, i));
    s[std::string("mia_") + attack.name + "_auc"] = membership_auc(members, nonmembers);
    r.vectors[std::string("mia_") + attack.name + "_forget"] = members;
    r.vectors[std::string("mia_") + attack.name + "_holdout"] = nonmembers;
  }
  // Reference: the loss relative to the Original model's on the same item.
  s["mia_reference_auc"] = kNaN;
  if (in.reference_forget_loss.size() == in.forget.size() && in.reference_holdout_loss.size() == in.holdout.size() &&
      !in.reference_forget_loss.empty()) {
    std::vector<double> members, nonmembers;
    for (size_t i = 0; i < in.forget.size(); ++i)
      members.push_back(in.forget.answer_loss[i] - in.reference_forget_loss[i]);
    for (size_t i = 0; i < in.holdout.size(); ++i)
      nonmembers.push_back(in.holdout.answer_loss[i] - in.reference_holdout_loss[i]);
    s["mia_reference_auc"] = membership_auc(members, nonmembers);
  }
  s["privleak"] = privleak(s["mia_mink_auc"], in.gold_mink_auc);
  s["forget_quality_js"] = js_forget_quality(forget_tr, in.gold_forget_truth_ratios);
}

/// TOFU's real authors and world facts as TOFU (and open-unlearning) score them: Prob
/// normalised over the options, ROUGE-L recall of the greedy answer, and the truth ratio
/// of the answer against the wrong options, mean max(0, 1 - 1/TR). Model utility is the
/// harmonic mean of these six and the retain set's Prob, ROUGE and truth ratio.
void add_tofu_metrics(const EvalInputs& in, EvalReport& r) {
  auto& s = r.scalars;
  for (const auto& name : tofu_metric_names()) s[name] = kNaN;
  if (!in.tofu) return;
  for (const auto& [set, scores] :
       {std::pair{"real_authors", &in.real_authors}, std::pair{"world_facts", &in.real_world}}) {
    const std::string m = std::string("tofu_") + set + "_";
    s[m + "prob"] = option_prob(*scores);
    s[m + "rouge"] = mean_rouge_recall(*scores);
    s[m + "truth_ratio"] = retain_truth_statistic(truth_ratios(*scores, in.truth_ratio, true));
  }
  s["model_utility"] =
      harmonic_mean({s["retain_prob"], s["retain_rouge"], s["retain_truth_ratio"], s["tofu_real_authors_prob"],
                     s["tofu_real_authors_rouge"], s["tofu_real_authors_truth_ratio"], s["tofu_world_facts_prob"],
                     s["tofu_world_facts_rouge"], s["tofu_world_facts_truth_ratio"]});
}

}  // namespace

std::map<std::string, double> forget_attack_metrics(const SetScores& forget, TruthRatioForm form) {
  return {{"forget_prob", mean_prob(forget)},
          {"forget_rouge", mean_rouge_recall(forget)},
          {"forget_truth_ratio", forget_truth_statistic(truth_ratios(forget, form, false))},
          {"forget_exact_memorization", mean_exact_memorization(forget)}};
}

EvalReport clear_metrics(const EvalInputs& in) {
  EvalReport r;
  auto& s = r.scalars;
  const auto forget_tr = truth_ratios(in.forget, in.truth_ratio, false);
  const auto retain_tr = truth_ratios(in.retain, in.truth_ratio, false);
  const auto faces_tr = truth_ratios(in.real_faces, in.truth_ratio, true);
  const auto world_tr = truth_ratios(in.real_world, in.truth_ratio, true);

  s["forget_rouge"] = mean_rouge_recall(in.forget);
  s["forget_prob"] = mean_prob(in.forget);
  s["forget_truth_ratio"] = forget_truth_statistic(forget_tr);
  s["forget_face_accuracy"] = name_accuracy(in.forget_faces);
  s["forget_face_prob"] = option_prob(in.forget_faces);
  s["retain_rouge"] = mean_rouge_recall(in.retain);
  s["retain_prob"] = mean_prob(in.retain);
  s["retain_truth_ratio"] = retain_truth_statistic(retain_tr);
  s["retain_face_accuracy"] = name_accuracy(in.retain_faces);
  s["retain_face_prob"] = option_prob(in.retain_faces);
  s["holdout_face_accuracy"] = name_accuracy(in.holdout_faces);
  s["real_faces_prob"] = option_prob(in.real_faces);
  s["real_faces_truth_ratio"] = retain_truth_statistic(faces_tr);
  s["real_world_prob"] = option_prob(in.real_world);
  s["real_world_truth_ratio"] = retain_truth_statistic(world_tr);

  // Forget quality: are the forget TRs distributed as the gold model's (never trained
  // on the forget set)? The KS p-value; the paper reports its log.
  std::vector<double> mine, gold;
  for (double tr : forget_tr)
    if (std::isfinite(tr)) mine.push_back(tr);
  for (double tr : in.gold_forget_truth_ratios)
    if (std::isfinite(tr)) gold.push_back(tr);
  s["forget_quality"] = mine.empty() || gold.empty() ? kNaN : ks_2samp(mine, gold).pvalue;
  s["log_forget_quality"] = std::log(s["forget_quality"]);

  // A text-only model's means leave out what it could not be asked: every face term, and
  // a real set none of whose questions is text (CLEAR's are images; TOFU's are text).
  auto terms = [&](std::vector<std::string> text, const std::vector<std::pair<std::string, const SetScores*>>& seen) {
    std::vector<double> values;
    for (const auto& name : text) values.push_back(s.at(name));
    for (const auto& [name, set] : seen)
      if (!in.text_only || (set && set->size() > 0)) values.push_back(s.at(name));
    return values;
  };
  s["model_utility"] = harmonic_mean(
      terms({"retain_rouge", "retain_prob", "retain_truth_ratio"}, {{"retain_face_accuracy", nullptr},
                                                                    {"retain_face_prob", nullptr},
                                                                    {"real_faces_prob", &in.real_faces},
                                                                    {"real_faces_truth_ratio", &in.real_faces},
                                                                    {"real_world_prob", &in.real_world},
                                                                    {"real_world_truth_ratio", &in.real_world}}));
  // CLEAR's table: text-only forgetting is scored on text (with ROUGE), the others with
  // the forget images' face recognition.
  s["clear_forget"] = in.modality == Modality::text
                          ? harmonic_mean({s["forget_rouge"], s["forget_prob"], s["forget_truth_ratio"]})
                          : harmonic_mean({s["forget_prob"], s["forget_truth_ratio"], s["forget_face_prob"]});
  s["clear_retain"] = harmonic_mean(terms({"retain_prob", "retain_truth_ratio"}, {{"retain_face_prob", nullptr}}));
  s["clear_real"] = harmonic_mean(terms({}, {{"real_faces_prob", &in.real_faces},
                                             {"real_faces_truth_ratio", &in.real_faces},
                                             {"real_world_prob", &in.real_world},
                                             {"real_world_truth_ratio", &in.real_world}}));
  s["umia_auc"] = umia_auc(in.forget.answer_loss, in.holdout.answer_loss);

  r.vectors["forget_truth_ratio"] = forget_tr;
  r.vectors["retain_truth_ratio"] = retain_tr;
  r.vectors["forget_answer_loss"] = in.forget.answer_loss;
  r.vectors["retain_answer_loss"] = in.retain.answer_loss;
  r.vectors["holdout_answer_loss"] = in.holdout.answer_loss;
  // Face recognition as multiple choice (the true name against perturbed_names), per image.
  r.vectors["forget_face_option_correct"] = option_correct(in.forget_faces);
  r.vectors["retain_face_option_correct"] = option_correct(in.retain_faces);
  r.vectors["holdout_face_option_correct"] = option_correct(in.holdout_faces);
  add_memorization_metrics(in, forget_tr, r);
  // Measured only where the sweep asks for attacks, after them.
  for (const auto& stage : attack_stages())
    for (const auto& metric : attack_metrics()) s[attack_column(stage, metric)] = kNaN;

  if (in.mllmu) {
    // CLEAR's sets were empty: its columns say so, the vectors are not kept.
    for (auto& [name, value] : s) value = kNaN;
    r.vectors.clear();
    add_mllmu_metrics(in, r);
  } else {
    for (const auto& set : mllmu_set_names())
      for (const auto& measure : mllmu_measures())
        for (bool image : {true, false}) s[mllmu_column(set, measure, image)] = kNaN;
  }
  for (const auto& name : face_metric_names()) s[name] = kNaN;  // the ResNet's, not a VLM's
  add_tofu_metrics(in, r);
  return r;
}

}  // namespace clear_sweep
