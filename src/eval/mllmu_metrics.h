// MLLMU-Bench's metrics (arXiv 2410.22108, as its eval.py computes them) from each
// item's greedy answer: classification accuracy (the answer's first letter), cloze
// accuracy (the ground truth inside the answer, case ignored), and generation ROUGE-1,
// ROUGE-2, ROUGE-L F-measure with stemming and BLEU (NLTK's sentence_bleu, method1),
// each apart for Image_Textual and Pure_Text questions, on the forget, test, retain and
// celebrity sets. Accuracies are fractions (eval.py prints percent). Not here: the
// factuality score, which needs an LLM judge, and eval.py's few-shot examples (a
// llava-only prompt prefix; the questions it would use are scored like the others).
#pragma once

#include <string>
#include <vector>

#include "eval/clear_metrics.h"

namespace clear_sweep {

/// The sets, as the columns name them: forget, test, retain, celebrity.
const std::vector<std::string>& mllmu_set_names();
/// The measures of a set: cls, cloze, rouge1, rouge2, rougeL, bleu.
const std::vector<std::string>& mllmu_measures();
/// "mllmu_forget_cls_image": a set's measure on one Type (image: Image_Textual,
/// text: Pure_Text).
std::string mllmu_column(const std::string& set, const std::string& measure, bool with_image);

/// Adds every MLLMU column (NaN where a set has no question of that task and Type) and
/// the per-item vectors mllmu_<set>_correct (1/0 for choice and cloze, NaN for
/// generation) and mllmu_<set>_rougeL.
void add_mllmu_metrics(const EvalInputs& inputs, EvalReport& report);

}  // namespace clear_sweep
