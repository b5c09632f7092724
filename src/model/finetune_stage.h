// The finetune stages of a sweep the base model on every trained
// person, and one gold model per forget fraction on its retain split. Each artifact is a
// model folder under the artifacts root, named by the stage's content address, so a
// rerun, a resumed sweep or another sweep of the same experiment reuses it.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "data/dataset_source.h"
#include "model/finetune.h"
#include "sweep/stage.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {

/// The folder of a stage's artifact: ROOT/STAGE_ID.
std::string stage_dir(const std::string& artifacts_root, const Stage& stage);
/// A stage folder's stage.json (its record: training context, losses, files), parsed;
/// null where it is missing or not JSON.
nlohmann::json read_stage_record(const std::string& artifacts_root, const Stage& stage);
/// True when the folder holds a finished artifact (stage.json is written last) whose
/// files all have the sizes stage.json lists (cheap: no hashing).
bool stage_complete(const std::string& artifacts_root, const Stage& stage);

/// What is wrong with a finished artifact's files against the sizes and SHA-256s its
/// stage.json lists ("model.safetensors: 1024 bytes, stage.json says 9216"), or "" when
/// nothing is (or when stage.json predates the list). `hashes`: check contents too.
std::string stage_damage(const std::string& artifacts_root, const Stage& stage, bool hashes);

struct StageResult {
  std::string dir;
  bool reused = false;
  double seconds = 0;
  double final_loss = 0;
};

/// What a stage reports as it trains: each epoch's report with the epochs in all, and
/// each optimiser step with the steps in all.
struct StageProgress {
  std::function<void(const EpochReport&, int64_t epochs)> on_epoch;
  std::function<void(int64_t step, int64_t steps)> on_step;
};

/// The start of every stage: reused = true when its artifact exists whole; an artifact
/// whose files were damaged is moved aside to ROOT/STAGE_ID.damaged-TIME (said in `log`).
StageResult reuse_or_set_aside(const std::string& artifacts_root, const Stage& stage,
                               const std::function<void(const std::string&)>& log = {});

/// The end of every stage, whole or not at all: `fill` writes the model's files into a
/// partial folder (ROOT/.STAGE_ID.partial-PID); `record` plus those files' sizes and
/// SHA-256s become its stage.json; the folder is renamed into place. A write failure is
/// `what` (common/file_write.h) and leaves no partial folder.
void publish_stage(const std::string& artifacts_root, const Stage& stage, nlohmann::ordered_json record,
                   const std::string& what, const std::function<void(const std::filesystem::path& partial)>& fill);

/// Trains the stage's model unless its artifact exists whole; writes it atomically (a
/// temporary folder renamed into place). An artifact whose files were damaged (a kill
/// during a copy, a full disk) is moved aside to ROOT/STAGE_ID.damaged-TIME, said in
/// `log`, and trained again. `device` as resolve_device takes it. `log`
/// gets one line per epoch; `progress` what a progress display wants.
StageResult run_finetune_stage(const SweepSpec& spec, const Stage& stage, const LoadedData& data,
                               const std::string& artifacts_root, const std::string& device,
                               const std::function<void(const std::string&)>& log = {},
                               const StageProgress& progress = {});

}  // namespace clear_sweep
