#include "cluster/noop_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "common/clock.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/number_format.h"
#include "store/metric_columns.h"
#include "sweep/method_catalog.h"

namespace clear_sweep {
namespace {

std::string marker_path(const std::string& dir, const std::string& stage_id) { return dir + "/" + stage_id + ".done"; }

void sleep_seconds(double seconds) {
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

}  // namespace

double noop_uniform(const std::string& key) {
  return double(std::strtoull(short_hash(key, 13).c_str(), nullptr, 16)) / double(1ull << 52);
}

double noop_learning_curve(double x, double y, double epochs) {
  const double u = std::log10(std::max(x, 1e-12));
  const double q = 1 - 0.15 * (u + 2) * (u + 2) - 2 * (y - 0.7) * (y - 0.7);
  const double tau = 1.5 * std::pow(10.0, -(u + 2) / 4);
  return q * (1 - std::exp(-epochs / tau));
}

NoopRunner::NoopRunner(bool dry_run, std::string artifacts_dir, DeviceBinding binding, double stage_seconds)
    : dry_run_(dry_run),
      artifacts_dir_(std::move(artifacts_dir)),
      binding_(std::move(binding)),
      stage_seconds_(stage_seconds) {}

void NoopRunner::run_stage(const Stage& stage) {
  CS_ASSERT(dry_run_, "stage " + stage_label(stage) + " reached the noop runner outside a dry run");
  // In four "epochs", each reported, as a finetune's are.
  for (int epoch = 1; epoch <= 4; ++epoch) {
    sleep_seconds(stage_seconds_ / 4);
    report_progress("epoch " + std::to_string(epoch) + "/4", epoch / 4.0);
  }
  std::error_code ignored;  // a failure shows as the missing marker, checked below
  std::filesystem::create_directories(artifacts_dir_, ignored);
  std::ofstream(marker_path(artifacts_dir_, stage.id)) << stage_label(stage) << "\n";
  if (!std::filesystem::exists(marker_path(artifacts_dir_, stage.id)))
    throw std::runtime_error("cannot write stage marker in " + artifacts_dir_);
}

ResultRecord NoopRunner::run_job(const Job& job) {
  const MethodInfo* method = method_find(job.method);
  CS_ASSERT(!(method && method->needs.model && !dry_run_),
            "model method " + job.method + " reached the noop runner (run_sweep asks the model module for a runner in model sweeps)");
  for (const auto& stage_id : job.needs)
    if (!std::filesystem::exists(marker_path(artifacts_dir_, stage_id)))
      throw std::runtime_error("stage " + stage_id + " has not finished: a dependency was violated");

  const auto real = [&](const char* name, double otherwise) {
    const auto it = job.hparams.find(name);
    return it == job.hparams.end() ? otherwise : hparam_as_double(it->second);
  };
  const auto fail_rate = job.hparams.find("fail_rate");
  if (noop_uniform(job.id + "/hang") < real("hang_rate", 0))  // a stuck kernel, a deadlock
    while (true) sleep_seconds(3600);
  // A broken GPU context, for the test that MPI_Abort ends the sweep: by environment, not
  // a hyperparameter, so that no job id changes.
  if (const char* fatal = std::getenv("CLEAR_SWEEP_NOOP_FATAL_JOB"); fatal && job.id == fatal)
    throw FatalError("noop: injected fatal error of job " + job.id + " (CLEAR_SWEEP_NOOP_FATAL_JOB)");
  const auto start = std::chrono::steady_clock::now();
  // A promoted search trial resumes: only the epochs it adds take time.
  const double epochs = real("epochs", 1);
  // Each epoch in quarters, each reported, as a model job's training would be.
  const double seconds = real("seconds", 0), to_train = std::max(0.0, epochs - double(job.resume_epochs));
  const int quarters = int(std::ceil(to_train * 4));
  for (int q = 1; q <= quarters && seconds > 0; ++q) {
    sleep_seconds(seconds * to_train / quarters);
    const double trained = double(job.resume_epochs) + to_train * q / quarters;
    report_progress("epoch " + format_number(std::ceil(trained)) + "/" + format_number(epochs), double(q) / quarters);
  }
  if (fail_rate != job.hparams.end() && noop_uniform(job.id + "/fail") < hparam_as_double(fail_rate->second))
    throw std::runtime_error("noop: injected failure (fail_rate=" + hparam_text(fail_rate->second) + ")");

  ResultRecord r;
  r.unlearn_seconds = seconds_since(start);
  for (const auto& column : metric_columns()) r.metrics[column.name] = noop_uniform(job.id + "/" + column.name);
  r.metrics["model_utility"] = noop_learning_curve(real("x", 0.5), real("y", 0.5), epochs);
  auto& ratios = r.vectors["forget_truth_ratios"];
  for (int i = 0; i < 8; ++i) ratios.push_back(2 * noop_uniform(job.id + "/tr/" + std::to_string(i)));
  return r;
}

}  // namespace clear_sweep
