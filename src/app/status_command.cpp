#include "app/status_command.h"

#include <signal.h>

#include <cerrno>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "common/exit_codes.h"
#include "report/search_summary.h"
#include "store/lock_file.h"
#include "store/results_store.h"
#include "sweep/shard.h"
#include "sweep/sweep_expand.h"

namespace clear_sweep {
namespace {

struct MethodCounts {
  size_t ok = 0, failed = 0;
};

/// "running (pid P on H since T)", "not running", or "unknown (...)" for another host.
std::string writer_state(const std::string& results_path, nlohmann::ordered_json& j) {
  LockHolder holder;
  if (!lock_holder(lock_path(results_path), holder)) {
    j = {{"running", false}};
    return "not running";
  }
  const std::string who = "pid " + std::to_string(holder.pid) + " on " + holder.host + " since " + holder.since;
  if (holder.host != host_name()) {
    j = {{"running", nullptr}, {"pid", holder.pid}, {"host", holder.host}, {"since", holder.since}};
    return "locked by " + who + " (another host: cannot tell if it still runs)";
  }
  const bool alive = ::kill(pid_t(holder.pid), 0) == 0 || errno == EPERM;
  j = {{"running", alive}, {"pid", holder.pid}, {"host", holder.host}, {"since", holder.since}};
  return alive ? "running, " + who : "not running (stale lock of " + who + ", the next run takes it over)";
}

}  // namespace

int status_command(const StatusOptions& options, std::ostream& out) {
  const ResultsSnapshot snap = results_snapshot(options.results_path);

  std::map<std::string, MethodCounts> by_method;
  std::vector<const ResultRecord*> failures;
  std::set<std::string> stored_ids;
  size_t ok = 0;
  for (const auto& r : snap.rows) {
    stored_ids.insert(r.job_id);
    auto& counts = by_method[r.method];
    if (r.status == RunStatus::ok) {
      ++counts.ok;
      ++ok;
    } else {
      ++counts.failed;
      failures.push_back(&r);
    }
  }
  std::sort(failures.begin(), failures.end(),
            [](const ResultRecord* a, const ResultRecord* b) { return a->finished_at > b->finished_at; });

  // What is left of the grid: expand the sweep stored in the file.
  long expected = -1, missing = -1;
  // A search: the stored trial-rungs rebuild its state, which says what is left.
  nlohmann::ordered_json search_json;
  std::string search_text;
  try {
    const SweepSpec spec = sweep_parse(snap.header.sweep_toml, options.results_path + ":sweep_toml");
    SweepPlan plan = sweep_expand(spec);
    if (!snap.header.shard.empty()) plan = sweep_shard(plan, shard_parse(snap.header.shard, "shard"));
    if (const auto search = spec.search ? search_summary(snap, options.results_path) : std::nullopt) {
      missing = search->complete ? 0 : 1;
      std::ostringstream text;
      text << "  search: " << search->trials << " of " << search->trials_budget << " trials started"
           << (search->complete ? ", complete" : ", not complete") << "\n";
      search_json = {{"trials_started", search->trials},
                     {"trials", search->trials_budget},
                     {"complete", search->complete},
                     {"rungs", nlohmann::ordered_json::array()}};
      for (const auto& r : search->rungs) {
        text << "    rung " << std::setw(5) << r.epochs << " epochs: " << r.evaluated << " trial(s)";
        if (!r.top) text << ", " << r.promoted << " promoted";
        text << "\n";
        search_json["rungs"].push_back(
            {{"epochs", r.epochs}, {"top", r.top}, {"results", r.evaluated}, {"promoted", r.promoted}});
      }
      search_text = text.str();
    } else {
      expected = long(plan.jobs.size());
      missing = 0;
      for (const auto& job : plan.jobs) missing += stored_ids.count(job.id) == 0;
    }
  } catch (const std::exception&) {
    // A file from a sweep this version cannot parse: counts without the grid.
  }

  nlohmann::ordered_json writer;
  const std::string writer_text = writer_state(options.results_path, writer);

  if (options.format == OutputFormat::json) {
    nlohmann::ordered_json j;
    j["file"] = options.results_path;
    j["sweep"] = snap.header.sweep_name;
    j["context_hash"] = snap.header.context_hash;
    j["program_version"] = snap.header.program_version;
    j["created_at"] = snap.header.created_at;
    j["writer"] = writer;
    j["jobs"] = snap.rows.size();
    j["ok"] = ok;
    j["failed"] = failures.size();
    j["unflushed"] = snap.unflushed;
    j["shard"] = snap.header.shard;
    j["grid_jobs"] = expected;
    j["missing"] = missing;
    if (!search_json.is_null()) j["search"] = search_json;
    j["by_method"] = nlohmann::ordered_json::object();
    for (const auto& [method, counts] : by_method)
      j["by_method"][method] = {{"ok", counts.ok}, {"failed", counts.failed}};
    j["job_ids"] = nlohmann::ordered_json::array();
    for (const auto& r : snap.rows) j["job_ids"].push_back(r.job_id);
    j["failed_ids"] = nlohmann::ordered_json::array();
    for (const auto* r : failures) j["failed_ids"].push_back(r->job_id);
    j["latest_failures"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < std::min(options.failures, failures.size()); ++i)
      j["latest_failures"].push_back({{"job_id", failures[i]->job_id},
                                      {"method", failures[i]->method},
                                      {"hparams", failures[i]->hparams},
                                      {"rank", failures[i]->worker_rank},
                                      {"host", failures[i]->host},
                                      {"error", failures[i]->error}});
    j["notes"] = snap.notes;
    out << j.dump(2) << "\n";
    return options.require_complete && missing != 0 ? kExitFailure : kExitOk;
  }

  out << options.results_path << ": sweep " << snap.header.sweep_name << " (context " << snap.header.context_hash
      << ", clear-sweep " << snap.header.program_version << ", created " << snap.header.created_at << ")\n";
  out << "  writer: " << writer_text << "\n";
  out << "  jobs stored: " << snap.rows.size() << " (ok " << ok << ", failed " << failures.size() << ")";
  if (expected >= 0)
    out << " of " << expected << " in the grid"
        << (snap.header.shard.empty() ? "" : " (shard " + snap.header.shard + ")") << ", " << missing << " to run";
  out << "\n" << search_text;
  if (snap.unflushed)
    out << "  " << snap.unflushed << " of them only in the journal so far (not yet flushed to HDF5)\n";
  out << "  by method:\n";
  for (const auto& [method, counts] : by_method)
    out << "    " << std::left << std::setw(12) << method << "ok " << std::setw(6) << counts.ok << "failed "
        << counts.failed << "\n";
  if (!failures.empty()) {
    out << "  latest failures:\n";
    for (size_t i = 0; i < std::min(options.failures, failures.size()); ++i)
      out << "    " << failures[i]->job_id << " " << failures[i]->method << " " << failures[i]->hparams << " (rank "
          << failures[i]->worker_rank << " on " << failures[i]->host << "): " << failures[i]->error << "\n";
  }
  for (const auto& note : snap.notes) out << "  note: " << note << "\n";
  return options.require_complete && missing != 0 ? kExitFailure : kExitOk;
}

}  // namespace clear_sweep
