#include "sweep/sweep_expand.h"

#include <algorithm>

#include "common/error.h"
#include "common/hash.h"
#include "sweep/job_cost.h"
#include "sweep/method_catalog.h"

namespace clear_sweep {
namespace {

/// The values a method's hyperparameter takes in this sweep.
std::vector<HParamValue> axis_values(const GridSpec& grid, const std::string& method, const HParamDecl& decl) {
  if (const auto own = grid.method_axes.find(method); own != grid.method_axes.end())
    if (const auto axis = own->second.find(decl.name); axis != own->second.end()) return axis->second.values;
  if (const auto shared = grid.shared_axes.find(decl.name); shared != grid.shared_axes.end())
    return shared->second.values;
  return {decl.default_value};
}

std::vector<Stage> make_stages(const SweepSpec& spec) {
  std::vector<Stage> stages;
  if (!spec.needs_model()) return stages;
  const std::string context = spec.training_context();
  Stage base;
  base.kind = StageKind::finetune_base;
  base.id = short_hash(stage_canonical_text(base.kind, 0, context));
  base.cost = stage_cost(spec, base.kind, 0);
  stages.push_back(base);
  for (double fraction : spec.grid.forget_fractions) {
    Stage gold;
    gold.kind = StageKind::finetune_gold;
    gold.forget_fraction = fraction;
    gold.id = short_hash(stage_canonical_text(gold.kind, fraction, context));
    gold.cost = stage_cost(spec, gold.kind, fraction);
    stages.push_back(gold);
  }
  // U-MIA / U-LIRA's models: 4N splits of the largest fraction's forget pool, shared by
  // every method, fraction and seed (a job at a smaller fraction unlearns part of the pool).
  const int64_t per_role = spec.max_shadow_models();
  if (spec.model_kind() == ModelKind::faces && per_role > 0) {
    const double pool = *std::max_element(spec.grid.forget_fractions.begin(), spec.grid.forget_fractions.end());
    for (int64_t k = 0; k < 4 * per_role; ++k) {
      Stage shadow;
      shadow.kind = StageKind::train_shadow;
      shadow.forget_fraction = pool;
      shadow.shadow_index = k;
      shadow.id = short_hash(stage_canonical_text(shadow.kind, pool, context, k));
      shadow.cost = stage_cost(spec, shadow.kind, pool);
      stages.push_back(shadow);
    }
  }
  return stages;
}

}  // namespace

SweepPlan sweep_expand(const SweepSpec& spec) {
  SweepPlan plan;
  plan.stages = make_stages(spec);
  const std::string context = spec.job_context();

  for (const auto& name : spec.grid.methods) {
    const MethodInfo& method = *method_find(name);
    const auto decls = method_hparams(method);
    std::vector<std::vector<HParamValue>> axes;
    for (const auto& decl : decls) axes.push_back(axis_values(spec.grid, name, decl));

    for (Modality modality : spec.grid.modalities)
      for (double fraction : spec.grid.forget_fractions)
        for (int64_t seed : spec.grid.seeds) {
          // Odometer over the hyperparameter axes; the last axis turns fastest.
          std::vector<size_t> digit(axes.size(), 0);
          while (true) {
            Job job;
            job.method = name;
            job.modality = modality;
            job.forget_fraction = fraction;
            job.seed = seed;
            for (size_t a = 0; a < axes.size(); ++a) job.hparams[decls[a].name] = axes[a][digit[a]];
            job.id = short_hash(job_canonical_text(job, context));
            job.cost = job_cost(spec, method, job);
            if (method.needs.model) {
              const int64_t shadows = method_hparam(method, kShadowModelsHParam) ? job.integer(kShadowModelsHParam) : 0;
              for (const auto& stage : plan.stages)
                if (stage.kind == StageKind::finetune_base ||
                    (stage.kind == StageKind::finetune_gold && stage.forget_fraction == fraction) ||
                    (stage.kind == StageKind::train_shadow && stage.shadow_index < 4 * shadows))
                  job.needs.push_back(stage.id);
            }
            plan.jobs.push_back(std::move(job));

            size_t a = axes.size();
            while (a > 0 && ++digit[a - 1] == axes[a - 1].size()) digit[--a] = 0;
            if (a == 0) break;
          }
        }
  }
  return plan;
}

}  // namespace clear_sweep

namespace clear_sweep {

TaskQueue plan_task_queue(const SweepPlan& plan) {
  TaskQueue queue;
  for (const auto& stage : plan.stages) queue.add(stage.id, stage.cost);
  for (const auto& job : plan.jobs) {
    std::vector<TaskQueue::Task> prerequisites;
    for (const auto& need : job.needs)
      for (size_t s = 0; s < plan.stages.size(); ++s)
        if (plan.stages[s].id == need) prerequisites.push_back(s);
    CS_ASSERT(prerequisites.size() == job.needs.size(), "job " + job.id + " needs an unknown stage");
    queue.add(job.id, job.cost, prerequisites);
  }
  return queue;
}

}  // namespace clear_sweep
