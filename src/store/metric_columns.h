// The metric columns of /runs: every scalar a job can report.
// They are the file's schema: adding or renaming one bumps kSchemaVersion
// (results_file.h), so that old files are recognised as old.
#pragma once

#include <string>
#include <vector>

namespace clear_sweep {

struct MetricColumn {
  std::string name;
  std::string doc;  ///< what it means in CLEAR / TOFU terms
};

const std::vector<MetricColumn>& metric_columns();

/// The forget metrics scored again after each attack ([eval] attacks), as the columns
/// "attack_<stage>_<metric>": stage is an attack (relearn, quant8, quant4) or
/// "relearn_before", the unlearned model on the items relearning is scored on.
const std::vector<std::string>& attack_stages();
const std::vector<std::string>& attack_metrics();
std::string attack_column(const std::string& stage, const std::string& metric);

/// CLEAR's visual benchmark (Table 2, src/faces/): nearest-centroid accuracies and the
/// shadow-model attacks, "faces_<name>". NaN in every other benchmark's rows.
const std::vector<std::string>& face_metric_names();

/// The vectors a face job stores beside its metrics: the final training losses of the
/// models it compared (faces/face_stage.h writes them into stage.json), so `report` can
/// check they were trained alike (report/faces_training_check.h). [Original, Gold] and
/// shadow model k at k.
inline constexpr const char* kReferenceLossVector = "training_loss_reference";
inline constexpr const char* kShadowLossVector = "training_loss_shadows";

/// TOFU's columns, "tofu_<set>_<measure>" (set real_authors or world_facts; measure
/// prob, rouge or truth_ratio). NaN in every other benchmark's rows.
const std::vector<std::string>& tofu_metric_names();

/// Index of `name` in metric_columns(), or -1.
int metric_column_index(const std::string& name);

}  // namespace clear_sweep
