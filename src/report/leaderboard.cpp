#include "report/leaderboard.h"

#include <sstream>
#include <tuple>

#include "common/error.h"
#include "store/metric_columns.h"
#include "store/results_file.h"
#include "store/results_store.h"

namespace clear_sweep {

Stat stat_of(const std::vector<double>& values) {
  Stat s;
  std::vector<double> v;
  for (double x : values)
    if (!std::isnan(x)) v.push_back(x);  // -inf (log of a zero p-value) is a value
  s.n = v.size();
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / double(v.size());
  if (v.size() > 1) {
    double sq = 0;
    for (double x : v) sq += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(sq / double(v.size() - 1));
  }
  return s;
}

namespace {

double mean_of_finite(const std::map<std::string, Stat>& stats, const std::vector<std::string>& sets) {
  double sum = 0;
  int n = 0;
  for (const auto& set : sets)
    for (const char* measure : {"cls", "cloze", "rougeL"})
      for (const char* type : {"_image", "_text"}) {
        const auto it = stats.find("mllmu_" + set + "_" + measure + type);
        if (it != stats.end() && std::isfinite(it->second.mean)) {
          sum += it->second.mean;
          ++n;
        }
      }
  return n ? sum / n : NAN;
}

}  // namespace

double mllmu_utility(const std::map<std::string, Stat>& stats) {
  return mean_of_finite(stats, {"retain", "celebrity"});
}

double mllmu_forget_score(const std::map<std::string, Stat>& stats) { return mean_of_finite(stats, {"forget"}); }

double benchmark_utility(const std::string& benchmark, const std::map<std::string, Stat>& stats) {
  if (benchmark == "mllmu") return mllmu_utility(stats);
  const auto it = stats.find(benchmark == "faces" ? "faces_retain_accuracy" : "model_utility");
  return it == stats.end() ? NAN : it->second.mean;
}

std::string benchmark_of(const std::map<std::string, double>& metrics) {
  for (const auto& [name, value] : metrics) {
    if (name.rfind("mllmu_", 0) == 0 && std::isfinite(value)) return "mllmu";
    if (name.rfind("faces_", 0) == 0 && std::isfinite(value)) return "faces";
    if (name.rfind("tofu_", 0) == 0 && std::isfinite(value)) return "tofu";
  }
  return "clear";
}

namespace {

using GroupKey = std::tuple<std::string, double, std::string>;  // benchmark, forget fraction, modality

struct References {
  std::vector<double> original, gold;  // metric_columns order
};

double metric_at(const std::vector<double>& values, const std::string& name) {
  const int index = metric_column_index(name);
  return index >= 0 && size_t(index) < values.size() ? values[size_t(index)] : NAN;
}

LeaderboardLine reference_line(const std::string& name, const GroupKey& group, const std::vector<double>& values) {
  LeaderboardLine l;
  l.method = name;
  l.benchmark = std::get<0>(group);
  l.forget_fraction = std::get<1>(group);
  l.modality = std::get<2>(group);
  l.reference = true;
  for (const auto& column : metric_columns()) {
    const double value = metric_at(values, column.name);
    l.stats[column.name] = Stat{value, NAN, std::isnan(value) ? 0u : 1u};  // NaN: not measured
  }
  return l;
}

/// A method's best setting by the rule in leaderboard.h.
LeaderboardLine best_setting(const std::vector<LeaderboardLine>& candidates, double original_mu) {
  const std::string& benchmark = candidates.front().benchmark;
  auto mu = [&](const LeaderboardLine& l) { return benchmark_utility(benchmark, l.stats); };
  // Higher is better: forget quality, or for MLLMU-Bench and the visual benchmark how
  // much of the forget set is gone.
  auto fq = [&](const LeaderboardLine& l) {
    if (benchmark == "mllmu") return -mllmu_forget_score(l.stats);
    if (benchmark == "faces") return -l.stats.at("faces_forget_accuracy").mean;
    return l.stats.at("log_forget_quality").mean;
  };
  const LeaderboardLine* best = nullptr;
  for (const auto& l : candidates) {
    if (!(std::isfinite(original_mu) && mu(l) >= kUtilityKept * original_mu)) continue;
    if (!best || fq(l) > fq(*best) || (fq(l) == fq(*best) && mu(l) > mu(*best))) best = &l;
  }
  const bool fallback = !best;
  if (fallback)
    for (const auto& l : candidates)
      if (!best || mu(l) > mu(*best)) best = &l;
  LeaderboardLine chosen = *best;
  chosen.utility_fallback = fallback;
  return chosen;
}

}  // namespace

std::map<std::string, std::pair<ResultRecord, std::string>> merged_jobs(const std::vector<std::string>& files) {
  std::map<std::string, std::pair<ResultRecord, std::string>> jobs;  // id -> record, its file
  for (const auto& path : files)
    for (auto& r : results_snapshot(path).rows) {
      auto it = jobs.find(r.job_id);
      if (it == jobs.end() || preferred_record(r, it->second.first)) {
        const std::string id = r.job_id;  // the right side of = moves r first
        jobs[id] = {std::move(r), path};
      }
    }
  return jobs;
}

Leaderboard build_leaderboard(const std::vector<std::string>& files, bool all_settings) {
  const auto jobs = merged_jobs(files);

  Leaderboard board;
  board.jobs = jobs.size();
  // (benchmark, fraction, modality, method, hparams) -> its seeds; the references per group.
  std::map<std::tuple<std::string, double, std::string, std::string, std::string>, std::vector<const ResultRecord*>>
      settings;
  std::map<GroupKey, References> references;
  for (const auto& [id, entry] : jobs) {
    const ResultRecord& r = entry.first;
    if (r.capped_eval) {  // a search rung's ranking on a capped subset, not a result
      ++board.rung_results;
      continue;
    }
    if (r.status != RunStatus::ok) {
      ++board.failed;
      continue;
    }
    const std::string benchmark = benchmark_of(r.metrics);
    settings[{benchmark, r.forget_fraction, r.modality, r.method, r.hparams}].push_back(&r);
    const GroupKey group{benchmark, r.forget_fraction, r.modality};
    if (references.count(group)) continue;
    try {
      const auto vectors = ResultsFile::open_read_only(entry.second).read_vectors(r.job_id);
      const auto original = vectors.find("reference_original_metrics");
      const auto gold = vectors.find("reference_gold_metrics");
      if (original != vectors.end() && gold != vectors.end()) references[group] = {original->second, gold->second};
    } catch (const Error&) {
      // a row still only in the journal has no vectors yet: no reference from it
    }
  }

  // Average each setting over its seeds, grouped by (fraction, modality, method).
  std::map<std::tuple<std::string, double, std::string, std::string>, std::vector<LeaderboardLine>> by_method;
  for (const auto& [key, seeds] : settings) {
    const auto& [benchmark, fraction, modality, method, hparams] = key;
    LeaderboardLine line;
    line.benchmark = benchmark;
    line.method = method;
    line.modality = modality;
    line.forget_fraction = fraction;
    line.hparams = hparams;
    line.seeds = seeds.size();
    for (const auto* r : seeds) line.job_ids.push_back(r->job_id);
    for (const auto& column : metric_columns()) {
      std::vector<double> values;
      for (const auto* r : seeds) {
        const auto it = r->metrics.find(column.name);
        values.push_back(it == r->metrics.end() ? NAN : it->second);
      }
      line.stats[column.name] = stat_of(values);
    }
    std::istringstream in(hparams);
    for (std::string kv; in >> kv;)
      if (const auto eq = kv.find('='); eq != std::string::npos)
        board.hparam_values[kv.substr(0, eq)].insert(kv.substr(eq + 1));
    by_method[{benchmark, fraction, modality, method}].push_back(std::move(line));
  }

  std::set<GroupKey> headed;
  for (auto& [key, candidates] : by_method) {
    const GroupKey group{std::get<0>(key), std::get<1>(key), std::get<2>(key)};
    const auto ref = references.find(group);
    if (headed.insert(group).second && ref != references.end()) {
      board.lines.push_back(reference_line("Original", group, ref->second.original));
      board.lines.push_back(reference_line("Gold", group, ref->second.gold));
    }
    if (all_settings) {
      for (auto& l : candidates) board.lines.push_back(std::move(l));
      continue;
    }
    double original_mu = NAN;
    if (ref != references.end())
      original_mu =
          benchmark_utility(std::get<0>(group), reference_line("Original", group, ref->second.original).stats);
    board.lines.push_back(best_setting(candidates, original_mu));
  }
  return board;
}

}  // namespace clear_sweep
