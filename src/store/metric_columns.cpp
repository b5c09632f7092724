#include "store/metric_columns.h"

namespace clear_sweep {

const std::vector<MetricColumn>& metric_columns() {
  static const std::vector<MetricColumn> columns = {
      {"forget_rouge", "ROUGE-L recall of greedy answers on the forget set (lower: more forgotten)"},
      {"forget_prob", "mean exp(-answer loss) on the forget set"},
      {"forget_truth_ratio", "mean min(TR, 1/TR) on the forget set"},
      {"forget_face_accuracy", "naming the person in forget images, greedy answer contains the name"},
      {"forget_face_prob", "p(true name) / p(true + perturbed names) on forget images"},
      {"retain_rouge", "ROUGE-L recall on the retain set"},
      {"retain_prob", "mean exp(-answer loss) on the retain set"},
      {"retain_truth_ratio", "mean max(0, 1 - 1/TR) on the retain set"},
      {"retain_face_accuracy", "naming the person in retain images"},
      {"retain_face_prob", "option probability of the true name on retain images"},
      {"holdout_face_accuracy", "naming persons never trained on (near chance is right)"},
      {"real_faces_prob", "option probability on real faces (knowledge that must survive)"},
      {"real_faces_truth_ratio", "truth ratio on real faces"},
      {"real_world_prob", "option probability on real-world questions"},
      {"real_world_truth_ratio", "truth ratio on real-world questions"},
      {"forget_quality", "KS-test p-value, forget-set TRs vs the gold model's (1: indistinguishable)"},
      {"log_forget_quality", "natural log of forget_quality, as the paper reports it"},
      {"model_utility",
       "harmonic mean of every non-forget value (TOFU: its nine, retain / real authors / world facts)"},
      {"clear_forget", "CLEAR's Forget: hmean(Prob, TR) on forget and forget faces"},
      {"clear_retain", "CLEAR's Retain: hmean(Prob, TR) on retain and retain faces"},
      {"clear_real", "CLEAR's Real: hmean(Prob, TR) on real faces and real world"},
      {"umia_auc", "ROC AUC of a loss-threshold membership attack, forget vs holdout (0.5 ideal)"},
      // open-unlearning's (eval/memorization.h, eval/membership_inference.h).
      {"forget_exact_memorization", "share of forget answer tokens whose argmax is the token (teacher-forced)"},
      {"retain_exact_memorization", "the same on the retain set"},
      {"forget_extraction_strength", "1 - k/n for the shortest given prefix k after which the argmaxes are the answer"},
      {"retain_extraction_strength", "the same on the retain set"},
      {"mia_zlib_auc", "ROC AUC of the ZLib attack (loss / zlib length), forget vs holdout"},
      {"mia_mink_auc", "ROC AUC of Min-K% (k 0.4), forget vs holdout"},
      {"mia_minkpp_auc", "ROC AUC of Min-K%++ (k 0.4), forget vs holdout"},
      {"mia_gradnorm_auc",
       "ROC AUC of GradNorm (mean L2 norm of each weight's gradient of the loss), forget vs holdout"},
      {"mia_reference_auc", "ROC AUC of the Reference attack (loss minus the Original model's), forget vs holdout"},
      {"privleak", "Min-K% AUC against the gold model's: ((1-AUC) - (1-AUC_gold)) / (1-AUC_gold) x 100 (0 ideal)"},
      {"forget_quality_js", "1 - Jensen-Shannon divergence of forget log truth ratios vs the gold model's (1 ideal)"},
  };
  static const std::vector<MetricColumn> with_mllmu = [] {
    std::vector<MetricColumn> all = columns;
    // After each attack (unlearn/robustness_attacks.h): the forget set's metrics again.
    const std::pair<const char*, const char*> stages[] = {
        {"relearn_before", "the unlearned model on the forget items relearning is scored on (before it)"},
        {"relearn", "after relearning (on another part of the forget set, or its paraphrases), on the items scored"},
        {"quant8", "after int8 round-to-nearest quantization of the merged model, per output channel"},
        {"quant4", "after 4-bit round-to-nearest quantization of the merged model, group-wise"}};
    for (const auto& [stage, stage_doc] : stages)
      for (const auto& metric : attack_metrics())
        all.push_back({attack_column(stage, metric), metric + ", " + stage_doc});
    // MLLMU-Bench's (eval/mllmu_metrics.h): each measure per set and Type.
    const std::pair<const char*, const char*> sets[] = {{"forget", "the forget profiles"},
                                                        {"test", "the forget profiles' Test_Set (transformed images)"},
                                                        {"retain", "the retain profiles"},
                                                        {"celebrity", "the celebrity set"}};
    const std::pair<const char*, const char*> measures[] = {
        {"cls", "classification accuracy (first letter of the greedy answer)"},
        {"cloze", "cloze accuracy (ground truth inside the answer, case ignored)"},
        {"rouge1", "generation ROUGE-1 F-measure, stemmed"},
        {"rouge2", "generation ROUGE-2 F-measure, stemmed"},
        {"rougeL", "generation ROUGE-L F-measure, stemmed"},
        {"bleu", "generation BLEU (NLTK sentence_bleu, smoothing method1)"}};
    for (const auto& [set, set_doc] : sets)
      for (const auto& [measure, measure_doc] : measures)
        for (const char* type : {"image", "text"})
          all.push_back({std::string("mllmu_") + set + "_" + measure + "_" + type,
                         std::string("MLLMU-Bench ") + measure_doc + " on " + set_doc + ", " +
                             (type[0] == 'i' ? "Image_Textual" : "Pure_Text") + " questions"});
    // The visual benchmark's (faces/, eval/nearest_centroid.h, eval/shadow_attacks.h).
    all.push_back({"faces_forget_accuracy", "nearest-centroid accuracy on forget persons' images (gold: as unseen)"});
    all.push_back({"faces_retain_accuracy", "nearest-centroid accuracy on retain persons' images"});
    all.push_back({"faces_holdout_accuracy", "nearest-centroid accuracy on holdout persons (never trained on)"});
    all.push_back(
        {"faces_umia_accuracy", "U-MIA: logistic regression on shadow models' scores, target accuracy (0.5 ideal)"});
    all.push_back({"faces_umia_auc", "U-MIA's ROC AUC, unlearned members against never-seen (0.5 ideal)"});
    all.push_back(
        {"faces_ulira_accuracy", "U-LIRA: per-sample Gaussian likelihood ratio, target accuracy (0.5 ideal)"});
    all.push_back({"faces_ulira_auc", "U-LIRA's ROC AUC (0.5 ideal)"});
    // TOFU's real-knowledge sets (benchmark "tofu"; its forget and retain values are the
    // forget_* and retain_* columns, and model_utility is its harmonic mean of nine).
    for (const auto& [set, set_doc] :
         {std::pair{"real_authors", "TOFU's real authors"}, std::pair{"world_facts", "TOFU's world facts"}}) {
      const std::string m = std::string("tofu_") + set + "_";
      all.push_back({m + "prob", std::string("p(answer) / p(answer + wrong options) on ") + set_doc});
      all.push_back({m + "rouge", std::string("ROUGE-L recall of greedy answers on ") + set_doc});
      all.push_back({m + "truth_ratio", std::string("mean max(0, 1 - 1/TR) on ") + set_doc + " (TR over the options)"});
    }
    return all;
  }();
  return with_mllmu;
}

const std::vector<std::string>& attack_stages() {
  static const std::vector<std::string> stages{"relearn_before", "relearn", "quant8", "quant4"};
  return stages;
}

const std::vector<std::string>& attack_metrics() {
  static const std::vector<std::string> metrics{"forget_prob", "forget_rouge", "forget_truth_ratio",
                                                "forget_exact_memorization"};
  return metrics;
}

const std::vector<std::string>& face_metric_names() {
  static const std::vector<std::string> names{
      "faces_forget_accuracy", "faces_retain_accuracy", "faces_holdout_accuracy", "faces_umia_accuracy",
      "faces_umia_auc",        "faces_ulira_accuracy",  "faces_ulira_auc"};
  return names;
}

const std::vector<std::string>& tofu_metric_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& column : metric_columns())
      if (column.name.rfind("tofu_", 0) == 0) out.push_back(column.name);
    return out;
  }();
  return names;
}

std::string attack_column(const std::string& stage, const std::string& metric) {
  return "attack_" + stage + "_" + metric;
}

int metric_column_index(const std::string& name) {
  const auto& columns = metric_columns();
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == name) return int(i);
  return -1;
}

}  // namespace clear_sweep
