// `clear-sweep metric rouge|bleu|ks FILE.jsonl`: rescore generations and truth ratios
// from anywhere with the exact metrics sweeps use, one number per input line, in order,
// at full precision.
#pragma once

#include <ostream>
#include <string>

namespace clear_sweep {

/// Lines {"reference": ..., "prediction": ...}: prints each ROUGE score. `type`: rougeL
/// (CLEAR's), rouge1 or rouge2; `measure`: recall (CLEAR's), precision or fmeasure
/// (MLLMU-Bench's).
int metric_rouge_command(const std::string& path, const std::string& type, const std::string& measure,
                         std::ostream& out);
/// Lines {"reference": ..., "prediction": ...}: prints each sentence BLEU (eval/bleu.h).
int metric_bleu_command(const std::string& path, std::ostream& out);
/// Lines {"a": [...], "b": [...]}: prints each two-sample KS p-value.
int metric_ks_command(const std::string& path, std::ostream& out);

}  // namespace clear_sweep
