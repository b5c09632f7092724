// `clear-sweep metric rouge FILE.jsonl` and `clear-sweep metric ks FILE.jsonl`: rescore
// generations and truth ratios from anywhere with the exact metrics sweeps use, one
// number per input line, in order, at full precision.
#pragma once

#include <ostream>
#include <string>

namespace clear_sweep {

/// Lines {"reference": ..., "prediction": ...}: prints each ROUGE-L recall.
int metric_rouge_command(const std::string& path, std::ostream& out);
/// Lines {"a": [...], "b": [...]}: prints each two-sample KS p-value.
int metric_ks_command(const std::string& path, std::ostream& out);

}  // namespace clear_sweep
