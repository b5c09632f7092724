#include "app/plan_command.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "common/error.h"
#include "common/number_format.h"
#include "search/search_driver.h"
#include "sweep/method_catalog.h"
#include "sweep/schedule_preview.h"
#include "sweep/shard.h"
#include "sweep/sweep_expand.h"
#include "sweep/sweep_spec.h"

namespace clear_sweep {
namespace {

using Json = nlohmann::ordered_json;

/// Counts in first-seen order (the order of the sweep file's axes).
class Tally {
 public:
  void add(const std::string& key) {
    for (auto& [k, n] : items_)
      if (k == key) {
        ++n;
        return;
      }
    items_.emplace_back(key, 1);
  }
  const std::vector<std::pair<std::string, size_t>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, size_t>> items_;
};

struct PlanSummary {
  Tally by_method, by_modality, by_fraction;
  double stage_cost = 0, grid_cost = 0;
  // The jobs that train a model, split (job_cost_parts), and the Original's and Gold's
  // evaluations, counted once per (forget fraction, modality, max_items).
  double grid_train = 0;
  std::vector<EvalWork> job_evals, reference_evals;
};

PlanSummary summarise(const SweepSpec& spec, const SweepPlan& plan) {
  PlanSummary s;
  std::set<std::tuple<double, Modality, int64_t>> referenced;
  // Jobs come method-major in the file's axis order, so first-seen order is file order.
  for (const auto& job : plan.jobs) {
    s.by_method.add(job.method);
    s.by_modality.add(modality_name(job.modality));
    s.by_fraction.add(format_number(job.forget_fraction));
    s.grid_cost += job.cost;
    const MethodInfo& method = *method_find(job.method);
    if (!method.needs.model) continue;
    const JobCost cost = job_cost_parts(spec, method, job);
    s.grid_train += cost.train;
    s.job_evals.push_back(cost.eval);
    if (referenced.insert({job.forget_fraction, job.modality, job.eval_max_items}).second) {
      EvalWork references = reference_eval_work(spec, method, job);
      if (!references.sets.empty()) s.reference_evals.push_back(std::move(references));
    }
  }
  for (const auto& stage : plan.stages) s.stage_cost += stage.cost;
  return s;
}

/// Sums over evaluations: units, answers, decoding batches and steps.
struct EvalTotals {
  double units = 0, answers = 0, score_rows = 0, batches = 0, decode_steps = 0;
};
EvalTotals eval_totals(const std::vector<EvalWork>& evals, int64_t decode_batch) {
  EvalTotals t;
  for (const auto& w : evals) {
    t.units += w.units();
    t.answers += w.answers();
    t.score_rows += w.score_rows();
    t.batches += w.generation_batches(decode_batch);
    t.decode_steps += w.decode_steps(decode_batch);
  }
  return t;
}

/// The plan in GPU-hours at a measured device.
struct GpuHours {
  double stages = 0, train = 0;
  EvalSeconds eval, references;  // in hours
  double grid() const { return train + eval.total(); }
  double total() const { return stages + grid() + references.total(); }
};
GpuHours gpu_hours(const PlanSummary& s, const DeviceTimes& device) {
  const double unit_hours = device.unit_seconds() / 3600.0;
  GpuHours h;
  h.stages = s.stage_cost * unit_hours;
  h.train = s.grid_train * unit_hours;
  auto add = [&](EvalSeconds& to, const std::vector<EvalWork>& evals) {
    for (const auto& w : evals) {
      const EvalSeconds e = eval_seconds(w, device);
      to.scoring += e.scoring / 3600.0;
      to.generation += e.generation / 3600.0;
    }
  };
  add(h.eval, s.job_evals);
  add(h.references, s.reference_evals);
  return h;
}

/// Costs are read by eye, in orders of magnitude: 1234567 -> "1,234,567", and below a
/// thousand three significant digits (noop jobs sleep fractions of a second).
std::string fixed(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

std::string grouped(double value) {
  if (std::fabs(value) < 1000) {
    std::ostringstream small;
    small << std::setprecision(3) << value;
    return small.str();
  }
  const long long n = std::llround(value);
  std::string digits = std::to_string(n < 0 ? -n : n);
  for (int i = int(digits.size()) - 3; i > 0; i -= 3) digits.insert(size_t(i), ",");
  return (n < 0 ? "-" : "") + digits;
}

std::string describe_data(const SweepSpec& spec) {
  if (!spec.data) return "none (no method needs a model)";
  if (spec.data->is_mllmu()) {
    if (spec.data->source == DataSource::clear)
      return "MLLMU-Bench at " + spec.data->path + ", " + std::to_string(kMllmuProfiles) + " profiles";
    return "synthetic MLLMU-Bench world, " + std::to_string(spec.data->persons) + " profiles + " +
           std::to_string(spec.data->celebrities) + " celebrities, seed " + std::to_string(spec.data->seed);
  }
  if (spec.data->is_tofu()) {
    if (spec.data->source == DataSource::clear) return "TOFU at " + spec.data->path + ", 200 authors";
    return "synthetic TOFU world, " + std::to_string(spec.data->persons) + " authors + " +
           std::to_string(spec.data->celebrities) + " real authors, seed " + std::to_string(spec.data->seed);
  }
  if (spec.data->source == DataSource::clear) return "CLEAR at " + spec.data->path + ", 200 persons";
  return "synthetic world, " + std::to_string(spec.data->persons) + " persons x " +
         std::to_string(spec.data->images_per_person) + " images, seed " + std::to_string(spec.data->seed);
}

std::string describe_model(const SweepSpec& spec) {
  if (!spec.model) return "none";
  return spec.model->preset.empty() ? "folder " + spec.model->path : "preset " + spec.model->preset;
}

std::string stage_scope(const SweepSpec& spec, const Stage& stage) {
  if (stage.kind == StageKind::finetune_base) return "full set, " + std::to_string(spec.persons()) + " persons";
  if (stage.kind == StageKind::train_shadow) {
    const int64_t pool = spec.forget_persons(stage.forget_fraction);
    return std::string(stage.shadow_index % 2 == 0 ? "forget " : "holdout ") + format_number(stage.forget_fraction) +
           "% + " + std::to_string((spec.persons() - pool) / 2) + " others";
  }
  return "retain split, " + std::to_string(spec.persons() - spec.forget_persons(stage.forget_fraction)) + " persons";
}

void print_tally(std::ostream& out, const char* title, const Tally& tally,
                 const std::function<std::string(const std::string&)>& label) {
  out << "  " << std::left << std::setw(20) << title;
  bool first = true;
  for (const auto& [key, n] : tally.items()) {
    out << (first ? "" : ", ") << label(key) << " " << n;
    first = false;
  }
  out << "\n";
}

/// A search's part of the plan: its trials, its rungs and its cost, worst and expected.
void print_search(const SweepSpec& spec, const SweepPlan& plan, double stage_cost, std::ostream& out) {
  const SearchSpec& search = *spec.search;
  const SearchCost cost = search_cost(spec, plan.jobs);
  out << "\nsearch: " << plan.jobs.size() << (plan.jobs.size() == 1 ? " cell" : " cells") << " (the jobs above) x "
      << search.trials << " trials = " << grouped(cost.trials) << " trials, "
      << (search.sampler == SamplerKind::sobol ? "sobol" : "random") << " sampler, seed " << search.seed << "\n";
  for (const auto& method : spec.grid.methods)
    for (const auto& [name, d] : search.space_of(method))
      out << "  " << std::left << std::setw(12) << method << std::setw(16) << name << d.text() << "\n";
  out << "  objective: " << (search.objective.maximize ? "maximize " : "minimize ") << search.objective.metric;
  if (const auto& c = search.objective.constraint) {
    const std::string of = c->relative_to.empty() ? "" : " x the " + c->relative_to + "'s";
    out << " subject to " << c->metric;
    if (c->min) out << " >= " << format_number(*c->min) << of;
    if (c->max) out << (c->min ? " and" : "") << " <= " << format_number(*c->max) << of;
  }
  out << "\n";
  if (search.asha) {
    out << "  successive halving: eta " << search.asha->eta << ", rungs at";
    for (int64_t b = 0; b < search.asha->brackets; ++b) {
      out << (b ? "; bracket " + std::to_string(b) + ":" : "");
      for (int64_t e : search.asha->rungs(b)) out << " " << e;
    }
    out << " epochs";
    if (spec.needs_model() && search.rung_max_items < spec.eval.max_items)
      out << "; rungs below the top evaluate " << search.rung_max_items << " items per set";
    out << "\n";
  }
  const char* unit = spec.needs_model() ? " units" : " s";
  out << "\nestimated cost: stages " << grouped(stage_cost) << unit << "\n";
  out << "  every trial to the top (worst case): " << grouped(cost.worst_jobs) << " trial-rungs, "
      << grouped(cost.worst_cost) << unit << "\n";
  if (search.asha)
    out << "  under halving (expected):            " << grouped(cost.expected_jobs) << " trial-rungs, "
        << grouped(cost.expected_cost) << unit
        << (cost.worst_cost > 0 ? " (" + fixed(cost.expected_cost / cost.worst_cost, 2) + " of the worst case)"
                                : std::string())
        << "\n";
}

/// The grid's units split into unlearning and evaluation, then, at a measured device,
/// the GPU-hours: stages, grid training, grid evaluation, the references, the total.
void print_gpu_time(const PlanSummary& s, const std::optional<DeviceTimes>& device, std::ostream& out) {
  const int64_t batch = device ? device->decode_batch : DeviceTimes{}.decode_batch;
  const EvalTotals jobs = eval_totals(s.job_evals, batch), refs = eval_totals(s.reference_evals, batch);
  out << "  grid: unlearning " << grouped(s.grid_train) << " + evaluation " << grouped(jobs.units) << " ("
      << grouped(jobs.answers) << " answers generated, " << grouped(jobs.score_rows)
      << " rows scored); references (Original and Gold) " << grouped(refs.units) << "\n";
  if (!device) return;
  const GpuHours h = gpu_hours(s, *device);
  const bool decoded = device->decode_seconds > 0;
  auto hours = [](double value) { return fixed(value, 1); };
  out << "estimated GPU time: " << hours(h.total()) << " GPU-hours (" << format_number(device->step_seconds)
      << " s per step of " << device->step_items << " items";
  if (decoded)
    out << "; generation at " << format_number(device->decode_seconds) << " s per decoding step of up to "
        << device->decode_batch << " answers)\n";
  else
    out << "; evaluation counted as forward passes)\n";
  auto row = [&](const char* name, double value, const std::string& note) {
    out << "  " << std::left << std::setw(18) << name << std::right << std::setw(8) << hours(value)
        << (note.empty() ? "" : "  " + note) << "\n";
  };
  row("stages", h.stages, "");
  row("grid training", h.train, "");
  const std::string generation =
      jobs.answers == 0 ? std::string()
      : decoded
          ? "generation " + hours(h.eval.generation) + ": " + grouped(jobs.answers) + " answers in " +
                grouped(jobs.batches) + " batches, " + grouped(jobs.decode_steps) + " decoding steps"
          : "generation " + hours(h.eval.generation) + " as forward passes: " + grouped(jobs.answers) + " answers";
  row("grid evaluation", h.eval.total(), generation);
  if (!s.reference_evals.empty())
    row("references", h.references.total(),
        "the Original and Gold evaluated once per forget fraction and modality (each further worker that runs "
        "such a job evaluates them again)");
  row("total", h.total(), "");
  if (!decoded && jobs.answers > 0)
    out << "  evaluation is priced as forward passes, the old and optimistic way: a greedy decoding step takes "
           "about the same time at any batch; --decode-seconds S (gpu_bench generate: seconds / new_tokens) gives "
           "the honest figure\n";
}

void print_text(const PlanOptions& options, const std::optional<DeviceTimes>& device, const SweepSpec& spec,
                const SweepPlan& plan, std::ostream& out) {
  const PlanSummary s = summarise(spec, plan);
  out << "sweep " << spec.name << " (" << spec.file << ", context " << spec.context_hash() << ")\n";
  out << "  data:  " << describe_data(spec) << "\n";
  out << "  model: " << describe_model(spec) << "\n\n";

  out << "jobs: " << plan.jobs.size() << (options.shard.empty() ? "" : " (shard " + options.shard + ")") << "\n";
  const auto same = [](const std::string& k) { return k; };
  print_tally(out, "by method", s.by_method, same);
  print_tally(out, "by modality", s.by_modality, same);
  print_tally(out, "by forget fraction", s.by_fraction, [&](const std::string& k) {
    if (!spec.needs_model()) return k + "%";
    const int64_t persons = spec.forget_persons(std::stod(k));
    return k + "% (" + std::to_string(persons) + (persons == 1 ? " person)" : " persons)");
  });

  out << "\nstages before the grid: " << plan.stages.size() << "\n";
  int64_t shadows = 0;  // the shadow models: the first of each side listed, the rest counted
  for (const auto& stage : plan.stages) {
    if (stage.kind == StageKind::train_shadow && stage.shadow_index >= 2) {
      ++shadows;
      continue;
    }
    out << "  " << std::left << std::setw(20) << stage_label(stage) << std::setw(28) << stage_scope(spec, stage)
        << "id " << stage.id << "  cost " << grouped(stage.cost) << "\n";
  }
  if (shadows > 0) out << "  ... and train_shadow 2.." << shadows + 1 << " alike (--format json lists every stage)\n";
  if (plan.stages.empty()) out << "  (none: no method needs a model)\n";

  if (spec.search) {
    print_search(spec, plan, s.stage_cost, out);
    return;
  }

  out << "\nestimated cost: stages " << grouped(s.stage_cost) << " + grid " << grouped(s.grid_cost)
      << (spec.needs_model() ? " units (1 unit = a forward+backward pass over one item)\n"
                             : " seconds of noop sleep\n");
  if (spec.needs_model()) print_gpu_time(s, device, out);

  if (options.ranks > 0) {
    const SchedulePreview p = schedule_preview(plan, options.ranks);
    out << "\nschedule on " << options.ranks << " ranks (rank 0 coordinates; " << p.workers
        << (p.workers == 1 ? " worker takes" : " workers take") << " the longest ready work first):\n";
    out << "  " << std::left << std::setw(8) << "rank" << std::setw(8) << "stages" << std::setw(8) << "jobs"
        << "est. busy\n";
    for (const auto& w : p.per_worker)
      out << "  " << std::left << std::setw(8) << w.rank << std::setw(8) << w.stages << std::setw(8) << w.jobs
          << grouped(w.busy) << "\n";
    std::ostringstream eff;
    eff << std::fixed << std::setprecision(3) << p.efficiency;
    out << "  makespan " << grouped(p.makespan) << ", efficiency " << eff.str() << " (no schedule ends before "
        << grouped(std::max(p.critical_path, p.total / p.workers)) << ")\n";
  }

  if (options.list_jobs) {
    out << "\njob list:\n";
    for (const auto& job : plan.jobs) out << "  " << job.id << "  " << job_label(job) << "\n";
  }
}

Json hparams_json(const HParams& params) {
  Json j = Json::object();
  for (const auto& [name, value] : params) {
    if (const auto* i = std::get_if<int64_t>(&value))
      j[name] = *i;
    else
      j[name] = std::get<double>(value);
  }
  return j;
}

void print_json(const PlanOptions& options, const std::optional<DeviceTimes>& device, const SweepSpec& spec,
                const SweepPlan& plan, std::ostream& out) {
  const PlanSummary s = summarise(spec, plan);
  Json j;
  j["sweep"] = spec.name;
  j["file"] = spec.file;
  j["context_hash"] = spec.context_hash();
  j["jobs"] = plan.jobs.size();
  j["shard"] = options.shard;
  const auto tally_json = [](const Tally& t) {
    Json o = Json::object();
    for (const auto& [k, n] : t.items()) o[k] = n;
    return o;
  };
  j["by_method"] = tally_json(s.by_method);
  j["by_modality"] = tally_json(s.by_modality);
  j["by_forget_fraction"] = tally_json(s.by_fraction);
  if (spec.needs_model()) {
    Json persons = Json::object();
    for (double f : spec.grid.forget_fractions) persons[format_number(f)] = spec.forget_persons(f);
    j["forget_persons"] = persons;
  }
  j["stages"] = Json::array();
  for (const auto& stage : plan.stages) {
    Json st;
    st["id"] = stage.id;
    st["kind"] = stage_kind_name(stage.kind);
    if (stage.kind == StageKind::finetune_gold) st["forget_fraction"] = stage.forget_fraction;
    if (stage.kind == StageKind::train_shadow) {
      st["pool_fraction"] = stage.forget_fraction;
      st["shadow_index"] = stage.shadow_index;
    }
    st["cost"] = stage.cost;
    j["stages"].push_back(st);
  }
  j["cost"] = {{"stages", s.stage_cost},
               {"grid", s.grid_cost},
               {"unit", spec.needs_model() ? "forward+backward passes over one item" : "seconds"}};
  if (spec.needs_model()) {
    const int64_t batch = device ? device->decode_batch : DeviceTimes{}.decode_batch;
    const EvalTotals jobs = eval_totals(s.job_evals, batch), refs = eval_totals(s.reference_evals, batch);
    j["cost"]["grid_train"] = s.grid_train;
    j["cost"]["grid_eval"] = jobs.units;
    j["cost"]["references"] = refs.units;
    // What the grid's evaluations do (references apart): the work eval_seconds prices.
    j["evaluation"] = {{"answers", jobs.answers},
                       {"score_rows", jobs.score_rows},
                       {"decode_batch", batch},
                       {"generation_batches", jobs.batches},
                       {"decode_steps", jobs.decode_steps},
                       {"reference_answers", refs.answers},
                       {"reference_decode_steps", refs.decode_steps}};
  }
  if (device && spec.needs_model()) {
    const GpuHours h = gpu_hours(s, *device);
    const bool decoded = device->decode_seconds > 0;
    j["gpu_hours"] = {{"stages", h.stages},
                      {"grid", h.grid()},
                      {"train", h.train},
                      {"eval", h.eval.total()},
                      {"eval_scoring", h.eval.scoring},
                      {"eval_generation", h.eval.generation},
                      {"references", h.references.total()},
                      {"total", h.total()},
                      {"eval_priced_as", decoded ? "decode_steps" : "forward_passes"},
                      {"step_seconds", device->step_seconds},
                      {"step_items", device->step_items},
                      {"decode_seconds", decoded ? Json(device->decode_seconds) : Json(nullptr)},
                      {"decode_batch", device->decode_batch}};
  }
  if (spec.search) {
    const SearchCost cost = search_cost(spec, plan.jobs);
    j["search"] = {{"cells", plan.jobs.size()},
                   {"trials_per_cell", spec.search->trials},
                   {"trials", cost.trials},
                   {"worst", {{"trial_rungs", cost.worst_jobs}, {"cost", cost.worst_cost}}},
                   {"expected", {{"trial_rungs", cost.expected_jobs}, {"cost", cost.expected_cost}}}};
  }
  j["job_ids"] = Json::array();
  for (const auto& job : plan.jobs) j["job_ids"].push_back(job.id);
  j["job_list"] = Json::array();
  for (const auto& job : plan.jobs) {
    Json jj;
    jj["id"] = job.id;
    jj["method"] = job.method;
    jj["modality"] = modality_name(job.modality);
    jj["forget_fraction"] = job.forget_fraction;
    jj["seed"] = job.seed;
    jj["hparams"] = hparams_json(job.hparams);
    jj["cost"] = job.cost;
    jj["needs"] = job.needs;
    j["job_list"].push_back(jj);
  }
  if (options.ranks > 0 && !spec.search) {  // a search's jobs exist only as it runs
    const SchedulePreview p = schedule_preview(plan, options.ranks);
    Json sched;
    sched["ranks"] = options.ranks;
    sched["workers"] = p.workers;
    sched["makespan"] = p.makespan;
    sched["critical_path"] = p.critical_path;
    sched["efficiency"] = p.efficiency;
    sched["per_rank"] = Json::array();
    for (const auto& w : p.per_worker)
      sched["per_rank"].push_back({{"rank", w.rank}, {"stages", w.stages}, {"jobs", w.jobs}, {"busy", w.busy}});
    j["schedule"] = sched;
  }
  out << j.dump(2) << "\n";
}

}  // namespace

DeviceTimes plan_profile_load(const std::string& path) {
  const SourceLocation where{path};
  const std::string hint =
      "a device profile is one JSON object: {\"step_seconds\": 0.28, \"step_items\": 4, "
      "\"decode_seconds\": 0.098, \"decode_batch\": 4} (scripts/gpu-check.sh writes one)";
  std::ifstream in(path);
  if (!in) throw Error(where, "--profile", "cannot open the device profile", hint);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {  // parse_error, or a number that overflows
    throw Error(where, "--profile", "not JSON", hint);
  }
  if (!j.is_object()) throw Error(where, "--profile", "expected a JSON object", hint);
  auto number = [&](const char* key) {
    if (!j.contains(key)) throw Error(where, key, "missing", hint);
    const auto& v = j[key];
    if (!v.is_number() || !(v.get<double>() > 0) || !std::isfinite(v.get<double>()))
      throw Error(where, key, "expected a number > 0, got " + v.dump(), hint);
    return v.get<double>();
  };
  auto count = [&](const char* key) {
    const double v = number(key);
    if (v != std::floor(v) || v > 1e6)
      throw Error(where, key, "expected a whole number of items (1 to 1000000), got " + j[key].dump(), hint);
    return int64_t(v);
  };
  DeviceTimes d;
  d.step_seconds = number("step_seconds");
  d.step_items = count("step_items");
  d.decode_seconds = number("decode_seconds");
  d.decode_batch = count("decode_batch");
  return d;
}

std::optional<DeviceTimes> plan_device(const PlanOptions& options) {
  std::optional<DeviceTimes> profile;
  if (!options.profile.empty()) profile = plan_profile_load(options.profile);
  DeviceTimes d = profile.value_or(DeviceTimes{});  // decode_seconds 0 there: not measured
  if (options.step_seconds) d.step_seconds = *options.step_seconds;
  if (options.step_items) d.step_items = *options.step_items;
  if (options.decode_seconds) d.decode_seconds = *options.decode_seconds;
  if (options.decode_batch) d.decode_batch = *options.decode_batch;
  if (d.step_seconds > 0) return d;
  if (d.decode_seconds > 0)
    throw Error(SourceLocation{}, "--decode-seconds",
                "a decoding step prices generation only beside a training step (prompts and scoring are forward "
                "passes)",
                "give --step-seconds S as well, or a --profile");
  return std::nullopt;
}

int plan_command(const PlanOptions& options, std::ostream& out) {
  const SweepSpec spec = sweep_load(options.sweep_path);
  for (const auto& warning : spec.warnings) std::cerr << "warning: " << warning << "\n";
  SweepPlan plan = sweep_expand(spec);
  if (!options.shard.empty()) plan = sweep_shard(plan, shard_parse(options.shard, "--shard"));
  const std::optional<DeviceTimes> device = plan_device(options);
  if (options.format == OutputFormat::json)
    print_json(options, device, spec, plan, out);
  else
    print_text(options, device, spec, plan, out);
  return 0;
}

}  // namespace clear_sweep
