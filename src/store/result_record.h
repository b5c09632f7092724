// One finished job, as the coordinator stores it: a row of /runs plus the job's
// vectors. Plain data: the store writes it to HDF5 and the journal, the cluster layer
// sends it over MPI, `status` and `report` read it back.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace clear_sweep {

enum class RunStatus { ok, failed };

const char* run_status_name(RunStatus status);
/// "ok" / "failed"; anything else is nullopt-like: returns false.
bool run_status_parse(const std::string& name, RunStatus& status);

struct ResultRecord {
  // What ran: the job's fields, so a row reads on its own without the sweep file.
  std::string job_id;
  std::string method;
  std::string modality;
  double forget_fraction = 0;
  int64_t seed = 0;
  std::string hparams;       ///< hparams_text(): "beta=0.1 epochs=5 ..."
  std::string context_hash;  ///< SweepSpec::context_hash() of the sweep that ran it

  // How it went.
  RunStatus status = RunStatus::ok;
  std::string error;  ///< the exception message when failed
  /// What the job met and got over, "; "-separated; empty when nothing. E.g. "out of
  /// GPU memory: retried with micro-batch 2 x 4 accumulation (...)" (schema 8).
  std::string warnings;
  double wall_seconds = 0;  ///< whole job, as the worker measured it
  double load_seconds = 0;  ///< data + base model (first job on a rank), adapters
  double unlearn_seconds = 0;
  double eval_seconds = 0;
  int32_t worker_rank = -1;
  std::string host;
  double finished_at = 0;     ///< Unix time, seconds
  int64_t tokens = 0;         ///< tokens processed (forward passes), for throughput
  double peak_memory_mb = 0;  ///< peak resident memory of the worker process (host)
  // On a GPU (empty / 0 on the CPU):
  std::string gpu_name;              ///< the card, e.g. "NVIDIA H100 80GB HBM3"
  std::string gpu_uuid;              ///< "GPU-...", as nvidia-smi prints it
  double peak_gpu_allocated_mb = 0;  ///< the most tensor memory held at once during the job
  double peak_gpu_reserved_mb = 0;   ///< the most the caching allocator held from the driver
  double tokens_per_second = 0;      ///< unlearning throughput: tokens / unlearn_seconds

  // A search's trial at one rung (empty / -1 for grid jobs), so a killed search resumes
  // from the file alone and `report` shows each trial's history.
  std::string trial_id;
  int32_t rung = -1;
  /// Evaluated on the rung's capped subset: a ranking, not a result; the leaderboard
  /// leaves it out.
  bool capped_eval = false;
  /// The search's objective metric as the trial reported it (NaN when failed or absent).
  double objective = 0;
  /// How far inside its bound the constraint metric is (>= 0: kept; NaN: no constraint).
  double constraint_margin = 0;

  /// Scalars by metric name (metric_columns.h); a metric not measured is absent (NaN in HDF5).
  std::map<std::string, double> metrics;
  /// Per-item vectors and curves by name (truth ratios, losses, ...): /jobs/<id>/<name>.
  std::map<std::string, std::vector<double>> vectors;
};

/// Of two records of one job (files merged, a job retried), the one to keep: a success
/// over a failure, then the later.
bool preferred_record(const ResultRecord& candidate, const ResultRecord& kept);

}  // namespace clear_sweep
