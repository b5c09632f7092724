// The libtorch half of clear-sweep is a module (libclear_sweep_model.so, built from
// src/pipeline/) opened on first use, not a link-time dependency: loading libtorch takes
// 0.4 s (seconds from a cold cache), which every `plan`, `status` and the coordinator
// rank would pay, and a stop signal arriving while the loader maps it would kill the
// process before any handler exists. Commands and workers that need a model reach it
// through this interface, which the module implements (pipeline/plugin_entry.cpp).
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cluster/device_binding.h"
#include "cluster/job_runner.h"
#include "sweep/stage.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

/// `clear-sweep finetune SWEEP.toml`: trains the stages a sweep needs (the base model
/// and one gold model per forget fraction) into the artifacts folder, reusing any
/// already there. `run` does the same on its ranks; this runs them in one process.
struct FinetuneCommandOptions {
  std::string sweep_path;
  std::string artifacts;  ///< default: results/artifacts
  std::string device;     ///< default: the sweep's [resources] device
  int threads = 1;
};

/// `clear-sweep score --model DIR --items FILE.jsonl`: scores each line's answer under
/// a model and generates greedily, the way a sweep's evaluation does (the folder's
/// prompt template, image processing and tokenizer). It is how a model is checked
/// against other tools: tests/model/test_hf_score.py holds it against transformers.
struct ScoreCommandOptions {
  std::string model;        ///< a model folder (config.json, weights, tokenizer)
  std::string items;        ///< JSON lines {"question", "answer", "image"?}
  std::string images;       ///< where relative image paths start (default: the items file's folder)
  int max_new_tokens = 32;  ///< 0: no generation
  std::string device = "cpu";
  bool json = false;  ///< one JSON object per line instead of text
  /// "chat": through the folder's chat template (model/chat_prompt.h), with a system turn
  /// and the template's date_string where given; "": the folder's own prompt.
  std::string prompt;
  std::string system_prompt;
  std::string date_string;
};

class ModelPlugin {
 public:
  virtual ~ModelPlugin() = default;
  /// `clear-sweep finetune`; errors are printed to `err` and returned as exit codes.
  virtual int finetune(const FinetuneCommandOptions& options, std::ostream& out, std::ostream& err) = 0;
  /// `clear-sweep score`, errors as for finetune.
  virtual int score(const ScoreCommandOptions& options, std::ostream& out, std::ostream& err) = 0;
  /// CUDA devices libtorch sees (CUDA_VISIBLE_DEVICES applied).
  virtual int cuda_devices() = 0;
  /// A worker's runner for a model sweep: `stages` (the plan's, from the coordinator)
  /// train into `artifacts`, jobs unlearn and evaluate on the bound device.
  virtual std::unique_ptr<JobRunner> make_runner(const SweepSpec& spec, const std::vector<Stage>& stages,
                                                 const std::string& artifacts, const DeviceBinding& binding) = 0;
};

/// Where the module is looked for: CLEAR_SWEEP_MODEL_PLUGIN, then beside the running
/// executable, then the build tree's copy.
std::string model_plugin_path();

/// Opens the module once. Error naming the path when it cannot be loaded.
ModelPlugin& model_plugin();

}  // namespace clear_sweep
