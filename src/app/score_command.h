// `clear-sweep score --model DIR --items FILE.jsonl`: scores each line's answer under a
// model and generates greedily, the way a sweep's evaluation does (the folder's prompt
// template, image processing and tokenizer). It is how a model is checked against other
// tools: tests/model/test_hf_score.py holds it against transformers.
#pragma once

#include <ostream>
#include <string>

namespace clear_sweep {

struct ScoreCommandOptions {
  std::string model;        ///< a model folder (config.json, weights, tokenizer)
  std::string items;        ///< JSON lines {"question", "answer", "image"?}
  std::string images;       ///< where relative image paths start (default: the items file's folder)
  int max_new_tokens = 32;  ///< 0: no generation
  std::string device = "cpu";
  bool json = false;  ///< one JSON object per line instead of text
};

/// The model-module side (libtorch); model_plugin().score calls it.
int score_command(const ScoreCommandOptions& options, std::ostream& out);

}  // namespace clear_sweep
