#include "pipeline/runner_base.h"

#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "common/error.h"
#include "model/compute_threads.h"
#include "model/device.h"
#include "store/metric_columns.h"
#include "sweep/method_catalog.h"
#include "unlearn/oom_retry.h"

namespace clear_sweep {
namespace {

/// CUDA errors after which the device's context is unusable, so every later task on
/// this rank would fail too: they end the rank (FatalError), and MPI_Abort the sweep,
/// for a requeue on a sound device. Any other error is the task's own failure. Running
/// out of memory never breaks the context: unlearning and evaluation retry smaller
/// batches themselves (unlearn/oom_retry.h); one elsewhere (loading a model, the
/// oracle's log-probabilities, an attack, a stage) fails its task with what it asked
/// for and what was free, and the rank goes on with the next.
template <typename Fn>
auto fatal_if_context_broken(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const c10::Error& e) {
    if (is_out_of_memory(e)) {
      const std::string message = e.what_without_backtrace();
      const std::string facts = oom_facts_text(oom_facts(message));
      throw std::runtime_error("out of GPU memory: " + (facts.empty() ? message.substr(0, message.find('\n')) : facts) +
                               "; lower the batch sizes, set [resources] activation_checkpointing = true, or use a "
                               "GPU with more memory");
    }
    const std::string what = e.what();
    for (const char* broken : {"illegal memory access", "device-side assert", "unspecified launch failure",
                               "misaligned address", "illegal instruction"})
      if (what.find(broken) != std::string::npos)
        throw FatalError("the GPU's context is broken (" + std::string(broken) +
                         "); this rank stops: " + what.substr(0, what.find('\n')));
    throw;
  }
}

}  // namespace

RunnerBase::RunnerBase(SweepSpec spec, std::vector<Stage> stages, std::string artifacts, DeviceBinding binding)
    : spec_(std::move(spec)),
      stages_(std::move(stages)),
      artifacts_(std::move(artifacts)),
      binding_(std::move(binding)),
      device_(resolve_device(binding_.device)) {
  set_compute_threads(binding_.threads);
}

void RunnerBase::run_stage(const Stage& stage) {
  fatal_if_context_broken([&] { run_model_stage(stage); });
}

ResultRecord RunnerBase::run_job(const Job& job) {
  const MethodInfo* info = method_find(job.method);
  if (info && !info->needs.model) {
    noop_.set_progress_sink([this](const std::string& phase, double fraction) { report_progress(phase, fraction); });
    return noop_.run_job(job);
  }
  return fatal_if_context_broken([&] { return run_model_job(job); });
}

const Stage& RunnerBase::stage(StageKind kind, double fraction, int64_t shadow_index) const {
  for (const auto& s : stages_)
    if (s.kind == kind &&
        (kind == StageKind::finetune_base || kind == StageKind::train_shadow || s.forget_fraction == fraction) &&
        s.shadow_index == shadow_index)
      return s;
  CS_ASSERT(false, "no such stage in the plan");
  return stages_.front();
}

const LoadedData& RunnerBase::data() {
  if (!data_) data_ = std::make_unique<LoadedData>(load_data(*spec_.data));
  return *data_;
}

void RunnerBase::log(const std::string& line) { std::cerr << "[worker] " << line << std::endl; }

std::string RunnerBase::epoch_text(const std::string& what, int64_t epoch, int64_t epochs, double loss) {
  char text[96];
  std::snprintf(text, sizeof text, "epoch %lld/%lld, loss %.4f", (long long)epoch, (long long)epochs, loss);
  return what.empty() ? text : what + " " + text;
}

std::vector<double> RunnerBase::column_row(const std::map<std::string, double>& values) {
  std::vector<double> row;
  for (const auto& column : metric_columns()) {
    const auto it = values.find(column.name);
    row.push_back(it == values.end() ? NAN : it->second);
  }
  return row;
}

void RunnerBase::finish_record(ResultRecord& r, const ReferenceRows& references) {
  r.vectors["reference_original_metrics"] = references.original;
  r.vectors["reference_gold_metrics"] = references.gold;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  r.peak_memory_mb = double(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

}  // namespace clear_sweep
