#include "app/report_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/number_format.h"
#include "store/metric_columns.h"
#include "store/results_file.h"
#include "store/results_store.h"

namespace clear_sweep {
namespace {

/// The columns shown: CLEAR's table, then the summaries.
const std::vector<std::pair<std::string, std::string>>& shown_columns() {
  static const std::vector<std::pair<std::string, std::string>> columns{
      {"clear_real", "Real"},           {"clear_retain", "Retain"}, {"clear_forget", "Forget"},
      {"log_forget_quality", "log FQ"}, {"model_utility", "MU"},    {"forget_rouge", "forget ROUGE"},
      {"retain_rouge", "retain ROUGE"}, {"umia_auc", "U-MIA"}};
  return columns;
}

struct Stat {
  double mean = NAN, sd = NAN;
  size_t n = 0;
};

Stat stat_of(const std::vector<double>& values) {
  Stat s;
  std::vector<double> v;
  for (double x : values)
    if (std::isfinite(x) || std::isinf(x)) v.push_back(x);
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

/// One line of the leaderboard: a setting averaged over its seeds, or a reference.
struct Line {
  std::map<std::string, std::string> keys;  ///< method, modality, forget_fraction, hparams
  std::map<std::string, Stat> stats;
  size_t seeds = 0;
  bool utility_fallback = false;  ///< no setting kept MU >= 95 % of Original: the highest MU
};

std::string cell(const Stat& s, bool with_sd) {
  if (s.n == 0 || std::isnan(s.mean)) return "-";
  char buf[64];
  if (with_sd && s.n > 1 && std::isfinite(s.sd))
    std::snprintf(buf, sizeof buf, "%.3f (%.3f)", s.mean, s.sd);
  else
    std::snprintf(buf, sizeof buf, "%.3f", s.mean);
  return buf;
}

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

}  // namespace

int report_command(const ReportOptions& o, std::ostream& out) {
  const std::set<std::string> groupable{"method", "modality", "forget_fraction"};
  for (const auto& b : o.by)
    if (!groupable.count(b))
      throw Error(SourceLocation{}, "--by", "unknown column '" + b + "'", "group by method, modality, forget_fraction");

  // Every file's rows, one per job id.
  std::map<std::string, std::pair<ResultRecord, std::string>> jobs;  // id -> record, file
  for (const auto& path : o.inputs) {
    const ResultsSnapshot snap = results_snapshot(path);
    for (const auto& r : snap.rows) {
      auto it = jobs.find(r.job_id);
      if (it == jobs.end() || preferred_record(r, it->second.first)) jobs[r.job_id] = {r, path};
    }
  }

  // Settings: (fraction, modality, method, hparams) -> seeds; references per (fraction, modality).
  struct Setting {
    std::vector<const ResultRecord*> seeds;
  };
  std::map<std::tuple<double, std::string, std::string, std::string>, Setting> settings;
  std::map<std::pair<double, std::string>, std::pair<std::vector<double>, std::vector<double>>> references;
  size_t failed = 0;
  for (const auto& [id, entry] : jobs) {
    const ResultRecord& r = entry.first;
    if (r.status != RunStatus::ok) {
      ++failed;
      continue;
    }
    settings[{r.forget_fraction, r.modality, r.method, r.hparams}].seeds.push_back(&r);
    const auto key = std::make_pair(r.forget_fraction, r.modality);
    if (!references.count(key)) {
      try {
        const auto vectors = ResultsFile::open_read_only(entry.second).read_vectors(r.job_id);
        const auto orig = vectors.find("reference_original_metrics");
        const auto gold = vectors.find("reference_gold_metrics");
        if (orig != vectors.end() && gold != vectors.end()) references[key] = {orig->second, gold->second};
      } catch (const Error&) {
        // a row still only in the journal has no vectors yet: no reference from it
      }
    }
  }

  auto metric = [](const std::vector<double>& values, const std::string& name) {
    const int index = metric_column_index(name);
    return index >= 0 && size_t(index) < values.size() ? values[size_t(index)] : NAN;
  };

  // Average each setting over its seeds, then keep each method's best (the rule above).
  std::map<std::tuple<double, std::string, std::string>, std::vector<Line>> by_method;
  for (const auto& [key, setting] : settings) {
    Line line;
    const auto& [fraction, modality, method, hparams] = key;
    line.keys = {
        {"method", method}, {"modality", modality}, {"forget_fraction", format_number(fraction)}, {"hparams", hparams}};
    line.seeds = setting.seeds.size();
    for (const auto& column : metric_columns()) {
      std::vector<double> values;
      for (const auto* r : setting.seeds) {
        const auto it = r->metrics.find(column.name);
        values.push_back(it == r->metrics.end() ? NAN : it->second);
      }
      line.stats[column.name] = stat_of(values);
    }
    by_method[{fraction, modality, method}].push_back(std::move(line));
  }

  std::vector<Line> lines;
  std::set<std::pair<double, std::string>> referenced;
  for (auto& [key, candidates] : by_method) {
    const auto& [fraction, modality, method] = key;
    if (!referenced.count({fraction, modality})) {
      referenced.insert({fraction, modality});
      const auto ref = references.find({fraction, modality});
      if (ref != references.end())
        for (const auto& [name, values] : {std::make_pair(std::string("Original"), ref->second.first),
                                           std::make_pair(std::string("Gold"), ref->second.second)}) {
          Line l;
          l.keys = {{"method", name},
                    {"modality", modality},
                    {"forget_fraction", format_number(fraction)},
                    {"hparams", "(reference)"}};
          for (const auto& column : metric_columns()) l.stats[column.name] = Stat{metric(values, column.name), NAN, 1};
          lines.push_back(std::move(l));
        }
    }
    if (o.all_settings) {
      for (auto& l : candidates) lines.push_back(l);
      continue;
    }
    const auto ref = references.find({fraction, modality});
    const double original_mu = ref == references.end() ? NAN : metric(ref->second.first, "model_utility");
    auto mu = [](const Line& l) { return l.stats.at("model_utility").mean; };
    auto fq = [](const Line& l) { return l.stats.at("log_forget_quality").mean; };
    const Line* best = nullptr;
    for (const auto& l : candidates) {
      const bool keeps = std::isfinite(original_mu) && mu(l) >= 0.95 * original_mu;
      if (!keeps) continue;
      if (!best || fq(l) > fq(*best) || (fq(l) == fq(*best) && mu(l) > mu(*best))) best = &l;
    }
    const bool fallback = !best;
    if (fallback)
      for (const auto& l : candidates)
        if (!best || mu(l) > mu(*best)) best = &l;
    lines.push_back(*best);
    lines.back().utility_fallback = fallback;
  }

  // Print, grouped by --by (stable: references first within their group).
  std::stable_sort(lines.begin(), lines.end(), [&](const Line& a, const Line& b) {
    for (const auto& k : o.by) {
      if (k == "method") continue;  // methods keep their order under each group
      if (a.keys.at(k) != b.keys.at(k)) return a.keys.at(k) < b.keys.at(k);
    }
    return false;
  });
  // Only the hyperparameters that vary somewhere in the files are worth a column's width
  // (over every setting, so a best-only report still says which setting won).
  std::map<std::string, std::set<std::string>> values_of;
  for (const auto& [key, setting] : settings) {
    std::istringstream in(std::get<3>(key));
    for (std::string kv; in >> kv;)
      if (const auto eq = kv.find('='); eq != std::string::npos) values_of[kv.substr(0, eq)].insert(kv.substr(eq + 1));
  }
  auto varying = [&](const std::string& hparams) {
    std::istringstream in(hparams);
    std::string shown;
    for (std::string kv; in >> kv;) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || values_of[kv.substr(0, eq)].size() > 1) shown += (shown.empty() ? "" : " ") + kv;
    }
    return shown.empty() ? std::string("defaults") : shown;
  };
  std::vector<std::string> header = o.by;
  header.push_back("hparams");
  header.push_back("seeds");
  for (const auto& [name, label] : shown_columns()) header.push_back(label);
  std::vector<std::vector<std::string>> table;
  for (const auto& l : lines) {
    std::vector<std::string> row;
    for (const auto& k : o.by) row.push_back(l.keys.at(k));
    row.push_back(l.keys.at("hparams") == "(reference)" ? "(reference)"
                                                        : varying(l.keys.at("hparams")) +
                                                              (l.utility_fallback ? " (utility fallback)" : ""));
    row.push_back(l.seeds ? std::to_string(l.seeds) : "-");
    for (const auto& [name, label] : shown_columns()) row.push_back(cell(l.stats.at(name), o.format != "csv"));
    table.push_back(std::move(row));
  }

  if (o.format == "csv") {
    for (size_t i = 0; i < header.size(); ++i) out << (i ? "," : "") << csv_escape(header[i]);
    out << "\n";
    for (const auto& row : table) {
      for (size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << csv_escape(row[i]);
      out << "\n";
    }
  } else if (o.format == "md") {
    for (const auto& h : header) out << "| " << h << " ";
    out << "|\n";
    for (size_t i = 0; i < header.size(); ++i) out << "|---";
    out << "|\n";
    for (const auto& row : table) {
      for (const auto& c : row) out << "| " << c << " ";
      out << "|\n";
    }
  } else if (o.format == "html") {
    out << "<table>\n<tr>";
    for (const auto& h : header) out << "<th>" << html_escape(h) << "</th>";
    out << "</tr>\n";
    for (const auto& row : table) {
      out << "<tr>";
      for (const auto& c : row) out << "<td>" << html_escape(c) << "</td>";
      out << "</tr>\n";
    }
    out << "</table>\n";
  } else {
    std::vector<size_t> width(header.size());
    for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto& row : table)
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    auto print = [&](const std::vector<std::string>& row) {
      for (size_t i = 0; i < row.size(); ++i) out << row[i] << std::string(width[i] - row[i].size() + 2, ' ');
      out << "\n";
    };
    print(header);
    for (const auto& row : table) print(row);
    out << jobs.size() << " jobs from " << o.inputs.size() << " file(s), " << failed << " failed (left out)"
        << (o.all_settings ? "" : "; each method's best setting: highest forget quality with MU >= 95 % of Original")
        << "\n";
    if (std::any_of(lines.begin(), lines.end(), [](const Line& l) { return l.utility_fallback; }))
      out << "(utility fallback): no setting of that method kept MU >= 95 % of Original; its highest MU is shown\n";
  }
  return kExitOk;
}

}  // namespace clear_sweep
