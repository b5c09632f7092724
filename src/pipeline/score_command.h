// `clear-sweep score --model DIR --items FILE.jsonl`: scores each line's answer under a
// model and generates greedily, the way a sweep's evaluation does (the folder's prompt
// template, image processing and tokenizer). It is how a model is checked against other
// tools: tests/model/test_hf_score.py holds it against transformers.
#pragma once

#include <ostream>

#include "cluster/model_plugin.h"

namespace clear_sweep {

/// The model-module side (libtorch); model_plugin().score calls it.
int score_command(const ScoreCommandOptions& options, std::ostream& out);

}  // namespace clear_sweep
