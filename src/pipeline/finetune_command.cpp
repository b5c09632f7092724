#include "pipeline/finetune_command.h"

#include <cstdio>
#include <iostream>
#include <optional>

#include "common/clock.h"
#include "common/exit_codes.h"
#include "common/progress_bar.h"
#include "data/dataset_source.h"
#include "faces/face_stage.h"
#include "model/compute_threads.h"
#include "model/device.h"
#include "model/finetune_stage.h"
#include "sweep/sweep_expand.h"

namespace clear_sweep {

int finetune_command(const FinetuneCommandOptions& options, std::ostream& out) {
  const SweepSpec spec = sweep_load(options.sweep_path);
  for (const auto& warning : spec.warnings) std::cerr << "warning: " << warning << "\n";
  const SweepPlan plan = sweep_expand(spec);
  if (plan.stages.empty()) {
    out << spec.name << ": no method needs a model; nothing to finetune\n";
    return kExitOk;
  }
  set_compute_threads(options.threads);
  const std::string root = options.artifacts.empty() ? "results/artifacts" : options.artifacts;
  const std::string device = options.device.empty() ? spec.resources.device : options.device;
  resolve_device(device);  // a device that is not there fails before any work
  const double start = unix_now();
  const LoadedData data = load_data(*spec.data);
  char head[256];
  std::snprintf(head, sizeof head, "%s: %zu stages into %s (data ready in %.1f s)\n", spec.name.c_str(),
                plan.stages.size(), root.c_str(), unix_now() - start);
  out << head;
  out.flush();
  std::optional<FaceImages> faces;  // the face kind's images, resized once for every stage
  if (spec.model_kind() == ModelKind::faces) faces.emplace(load_face_images(data, spec.model->image_size));
  for (const Stage& stage : plan.stages) {
    // The steps as a bar on stderr (a terminal) or a line now and then (a log); the
    // epochs' lines on stdout, the bar erased before each.
    std::optional<ProgressBar> bar;
    StageProgress progress;
    std::string last_loss;
    progress.on_epoch = [&](const EpochReport& e, int64_t) {
      char text[48];
      std::snprintf(text, sizeof text, "loss %.4f", e.mean_loss);
      last_loss = text;
    };
    progress.on_step = [&](int64_t step, int64_t steps) {
      if (!bar) bar.emplace(std::cerr, stage_label(stage), steps, stderr_is_terminal());
      bar->update(step, last_loss);
    };
    const auto log = [&](const std::string& line) {
      if (bar) bar->suspend();
      out << "  " << line << "\n";
      out.flush();
    };
    const StageResult r = faces ? run_face_stage(spec, stage, data.dataset, *faces, root, resolve_device(device), log)
                                : run_finetune_stage(spec, stage, data, root, device, log, progress);
    if (bar) bar->finish();
    char line[256];
    if (r.reused)
      std::snprintf(line, sizeof line, "%s: reused %s\n", stage_label(stage).c_str(), r.dir.c_str());
    else
      std::snprintf(line, sizeof line, "%s: trained in %.0f s, final loss %.4f -> %s\n", stage_label(stage).c_str(),
                    r.seconds, r.final_loss, r.dir.c_str());
    out << line;
    out.flush();
  }
  return kExitOk;
}

}  // namespace clear_sweep
