#include "app/report_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/number_format.h"
#include "report/faces_training_check.h"
#include "report/html_report.h"
#include "report/leaderboard.h"
#include "report/results_compare.h"
#include "report/search_summary.h"
#include "report/table_format.h"
#include "store/metric_columns.h"

namespace clear_sweep {
namespace {

/// A column of the table: one metric, or the mean of a few (MLLMU-Bench's cloze and
/// ROUGE-L over both Types).
struct ShownColumn {
  std::vector<std::string> metrics;
  std::string label;
};

/// CLEAR's table, then the summaries.
const std::vector<ShownColumn>& clear_columns() {
  static const std::vector<ShownColumn> columns{{{"clear_real"}, "Real"},           {{"clear_retain"}, "Retain"},
                                                {{"clear_forget"}, "Forget"},       {{"log_forget_quality"}, "log FQ"},
                                                {{"model_utility"}, "MU"},          {{"forget_rouge"}, "forget ROUGE"},
                                                {{"retain_rouge"}, "retain ROUGE"}, {{"umia_auc"}, "U-MIA"}};
  return columns;
}

/// MLLMU-Bench's table: per set (forget, test, retain, celebrity) classification accuracy
/// with the image (VQA) and without (QA), cloze accuracy and generation ROUGE-L.
const std::vector<ShownColumn>& mllmu_columns() {
  static const std::vector<ShownColumn> columns = [] {
    std::vector<ShownColumn> out;
    const std::pair<const char*, const char*> sets[] = {
        {"forget", "Fgt"}, {"test", "Test"}, {"retain", "Ret"}, {"celebrity", "Cel"}};
    for (const auto& [set, tag] : sets) {
      const std::string m = std::string("mllmu_") + set + "_";
      out.push_back({{m + "cls_image"}, std::string(tag) + " VQA"});
      out.push_back({{m + "cls_text"}, std::string(tag) + " QA"});
      out.push_back({{m + "cloze_image", m + "cloze_text"}, std::string(tag) + " cloze"});
      out.push_back({{m + "rougeL_image", m + "rougeL_text"}, std::string(tag) + " ROUGE-L"});
    }
    return out;
  }();
  return columns;
}

/// TOFU's table as open-unlearning reports it: forget quality and model utility, then the
/// forget set's, the retain set's and the real-knowledge sets' Prob and ROUGE-L recall.
const std::vector<ShownColumn>& tofu_columns() {
  static const std::vector<ShownColumn> columns{{{"forget_quality"}, "FQ"},
                                                {{"model_utility"}, "MU"},
                                                {{"forget_prob"}, "forget Prob"},
                                                {{"forget_rouge"}, "forget ROUGE"},
                                                {{"forget_truth_ratio"}, "forget TR"},
                                                {{"retain_prob"}, "retain Prob"},
                                                {{"retain_rouge"}, "retain ROUGE"},
                                                {{"retain_truth_ratio"}, "retain TR"},
                                                {{"tofu_real_authors_prob"}, "RA Prob"},
                                                {{"tofu_real_authors_rouge"}, "RA ROUGE"},
                                                {{"tofu_world_facts_prob"}, "WF Prob"},
                                                {{"tofu_world_facts_rouge"}, "WF ROUGE"},
                                                {{"privleak"}, "privleak"}};
  return columns;
}

/// CLEAR's Table 2 (the visual benchmark): nearest-centroid accuracies, U-MIA and U-LIRA
/// (accuracies, as the paper reports them, and their AUCs).
const std::vector<ShownColumn>& faces_columns() {
  static const std::vector<ShownColumn> columns{
      {{"faces_forget_accuracy"}, "Forget acc"},   {{"faces_retain_accuracy"}, "Retain acc"},
      {{"faces_holdout_accuracy"}, "Holdout acc"}, {{"faces_umia_accuracy"}, "U-MIA"},
      {{"faces_ulira_accuracy"}, "U-LIRA"},        {{"faces_umia_auc"}, "U-MIA AUC"},
      {{"faces_ulira_auc"}, "U-LIRA AUC"}};
  return columns;
}

/// The robustness view ([eval] attacks): the forget set's Prob and ROUGE before and after
/// each attack. Relearning is scored on the forget items it did not train on, so its
/// "before" is the unlearned model on those items.
const std::vector<ShownColumn>& robustness_columns() {
  static const std::vector<ShownColumn> columns = [] {
    std::vector<ShownColumn> out;
    for (const auto& [metric, label] : {std::pair{"forget_prob", "Prob"}, std::pair{"forget_rouge", "ROUGE"}}) {
      const std::string m = metric, l = label;
      out.push_back({{m}, l});
      out.push_back({{attack_column("quant8", m)}, l + " int8"});
      out.push_back({{attack_column("quant4", m)}, l + " 4-bit"});
      out.push_back({{attack_column("relearn_before", m)}, l + " held-out"});
      out.push_back({{attack_column("relearn", m)}, l + " relearned"});
    }
    return out;
  }();
  return columns;
}

bool has_attacks(const LeaderboardLine& l) {
  for (const auto& column : robustness_columns())
    if (column.metrics[0].rfind("attack_", 0) == 0 && l.stats.at(column.metrics[0]).n > 0) return true;
  return false;
}

std::string cell(const Stat& s, bool with_sd) {
  if (s.n == 0 || std::isnan(s.mean)) return "-";
  char buf[64];
  if (with_sd && s.n > 1 && std::isfinite(s.sd))
    std::snprintf(buf, sizeof buf, "%.3f (%.3f)", s.mean, s.sd);
  else
    std::snprintf(buf, sizeof buf, "%.3f", s.mean);
  return buf;
}

std::string cell(const LeaderboardLine& l, const ShownColumn& column, bool with_sd) {
  if (column.metrics.size() == 1) return cell(l.stats.at(column.metrics[0]), with_sd);
  Stat mean;  // of the parts' means; a spread over seeds would mix two things
  double sum = 0;
  for (const auto& metric : column.metrics)
    if (const Stat& s = l.stats.at(metric); s.n && std::isfinite(s.mean)) {
      sum += s.mean;
      mean.n++;
    }
  if (mean.n) mean.mean = sum / double(mean.n);
  return cell(mean, false);
}

std::string key_of(const LeaderboardLine& l, const std::string& column) {
  if (column == "method") return l.method;
  if (column == "modality") return l.modality;
  return format_number(l.forget_fraction);
}

/// Only the hyperparameters that vary somewhere in the files are worth a column's width
/// (over every setting, so a best-only report still says which setting won).
std::string varying_hparams(const Leaderboard& board, const std::string& hparams) {
  std::istringstream in(hparams);
  std::string shown;
  for (std::string kv; in >> kv;) {
    const auto eq = kv.find('=');
    const auto values =
        eq == std::string::npos ? board.hparam_values.end() : board.hparam_values.find(kv.substr(0, eq));
    if (values == board.hparam_values.end() || values->second.size() > 1) shown += (shown.empty() ? "" : " ") + kv;
  }
  return shown.empty() ? std::string("defaults") : shown;
}

/// The shown settings' PEFT adapter folders, copied out (report_command.h).
void copy_adapters(const Leaderboard& board, const ReportOptions& o, std::ostream& out) {
  namespace fs = std::filesystem;
  std::vector<std::pair<fs::path, fs::path>> copies;  // checked first, copied after: all or nothing
  for (const auto& l : board.lines) {
    if (l.reference) continue;
    const std::string group = format_number(l.forget_fraction) + "-" + l.modality + "-" + l.method;
    for (const auto& id : l.job_ids) {
      const fs::path from = fs::path(o.adapters_from) / id, to = fs::path(o.adapters_out) / group / id;
      if (!fs::exists(from / "adapter_config.json"))
        throw Error(SourceLocation{from.string()}, "--adapters-from",
                    "no adapter of job " + id + " (" + l.method + " " + l.hparams + ")",
                    "run the sweep with [resources] save_adapters = \"all\", or point --adapters-from at its "
                    "<artifacts>/adapters");
      if (fs::exists(to))
        throw Error(SourceLocation{to.string()}, "--adapters-out", "already exists; nothing is overwritten");
      copies.emplace_back(from, to);
    }
  }
  for (const auto& [from, to] : copies) {
    fs::create_directories(to.parent_path());
    fs::copy(from, to, fs::copy_options::recursive);
  }
  out << "copied " << copies.size() << " adapter folder(s) (PEFT LoRA) into " << o.adapters_out << "\n";
}

std::string short_number(double v) {
  if (std::isnan(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

/// --compare: one line per metric, how far this run is from the other.
ReportTable comparison_table(const ResultsComparison& c, const std::string& other) {
  ReportTable t;
  t.title = "Compared with " + other;
  t.note = std::to_string(c.matched) + " jobs in both, " + std::to_string(c.only_ours) + " only here, " +
           std::to_string(c.only_theirs) + " only there; differing: |here - there| > " + short_number(c.tolerance);
  t.table.header = {"metric", "jobs", "differing", "missing", "mean |diff|", "max |diff|", "here", "there", "at job"};
  for (const auto& m : c.metrics) {
    t.table.rows.push_back({m.metric, std::to_string(m.compared), std::to_string(m.differing),
                            std::to_string(m.missing), short_number(m.mean_abs), short_number(m.max_abs),
                            short_number(m.worst_ours), short_number(m.worst_theirs), m.worst_job});
    t.reference_rows.push_back(false);
  }
  return t;
}

/// --out replaces only a page that report wrote before (its generator tag), never any
/// other file.
void check_replaceable(const std::string& path) {
  std::ifstream in(path);
  if (!in) return;
  std::string head(4096, '\0');
  in.read(head.data(), std::streamsize(head.size()));
  head.resize(size_t(in.gcount()));
  if (head.find(std::string("<meta name=\"generator\" content=\"") + kHtmlReportGenerator) == std::string::npos)
    throw Error(SourceLocation{path}, "--out", "already exists and is not a report this command wrote",
                "nothing is overwritten: choose another --out, or move the file away");
}

}  // namespace

int report_command(const ReportOptions& o, std::ostream& out) {
  const std::set<std::string> groupable{"method", "modality", "forget_fraction"};
  for (const auto& b : o.by)
    if (!groupable.count(b))
      throw Error(SourceLocation{}, "--by", "unknown column '" + b + "'", "group by method, modality, forget_fraction");

  Leaderboard board = build_leaderboard(o.inputs, o.all_settings);
  // Grouped by --by, stably: references stay first within their group, and methods keep
  // their order under each group.
  std::stable_sort(board.lines.begin(), board.lines.end(), [&](const LeaderboardLine& a, const LeaderboardLine& b) {
    for (const auto& k : o.by) {
      if (k == "method") continue;
      if (key_of(a, k) != key_of(b, k)) return key_of(a, k) < key_of(b, k);
    }
    return false;
  });

  auto empty_table = [&](const std::vector<ShownColumn>& columns) {
    TextTable table;
    table.header = o.by;
    table.header.push_back("hparams");
    table.header.push_back("seeds");
    for (const auto& column : columns) table.header.push_back(column.label);
    return table;
  };
  // One table per benchmark in the files, each with its paper's columns; then the
  // robustness view where the sweep ran attacks.
  std::vector<ReportTable> tables;
  auto add_table = [&](const std::vector<ShownColumn>& columns, const std::function<bool(const LeaderboardLine&)>& in,
                       const std::string& title, const std::string& note) {
    if (std::none_of(board.lines.begin(), board.lines.end(), in)) return;
    ReportTable t{title, note, empty_table(columns), {}};
    for (const auto& l : board.lines) {
      if (!in(l)) continue;
      std::vector<std::string> row;
      for (const auto& k : o.by) row.push_back(key_of(l, k));
      row.push_back(l.reference
                        ? "(reference)"
                        : varying_hparams(board, l.hparams) + (l.utility_fallback ? " (utility fallback)" : ""));
      row.push_back(l.reference ? "-" : std::to_string(l.seeds));
      for (const auto& column : columns) row.push_back(cell(l, column, o.format != "csv"));
      t.table.rows.push_back(std::move(row));
      t.reference_rows.push_back(l.reference);
    }
    tables.push_back(std::move(t));
  };
  add_table(
      clear_columns(), [](const LeaderboardLine& l) { return l.benchmark == "clear"; }, "CLEAR", "");
  add_table(
      mllmu_columns(), [](const LeaderboardLine& l) { return l.benchmark == "mllmu"; }, "MLLMU-Bench",
      "accuracies and ROUGE-L as fractions; VQA: with the image, QA: text only");
  add_table(
      tofu_columns(), [](const LeaderboardLine& l) { return l.benchmark == "tofu"; }, "TOFU",
      "FQ: KS-test p-value of the forget truth ratios against the gold (retain-only) model's; MU: harmonic mean "
      "of retain, real authors (RA) and world facts (WF) Prob, ROUGE-L recall and truth ratio; RA / WF Prob "
      "normalised over the options");
  add_table(
      faces_columns(), [](const LeaderboardLine& l) { return l.benchmark == "faces"; }, "CLEAR visual (Table 2)",
      "nearest-centroid accuracies as fractions; U-MIA and U-LIRA: the attacker's accuracy over target models "
      "(0.5: it cannot tell unlearned from never seen)");
  add_table(robustness_columns(), has_attacks, "Robustness",
            "the forget set before and after each attack (int8 / 4-bit: the merged model rounded to nearest; "
            "held-out -> relearned: the forget items relearning left out, before and after it)");
  std::optional<ResultsComparison> comparison;
  if (!o.compare_with.empty()) {
    comparison = compare_results(o.inputs, o.compare_with, std::max(0.0, o.tolerance));
    tables.push_back(comparison_table(*comparison, o.compare_with));
  }
  if (board.lines.empty())  // nothing finished yet
    tables.push_back({"CLEAR", "no finished job yet", empty_table(clear_columns()), {}});

  std::vector<std::string> notes;
  notes.push_back(std::to_string(board.jobs) + " jobs from " + std::to_string(o.inputs.size()) + " file(s), " +
                  std::to_string(board.failed) + " failed (left out)" +
                  (o.all_settings ? ""
                                  : "; each method's best setting: highest forget quality (MLLMU-Bench: lowest "
                                    "forget scores; visual: lowest forget accuracy) with utility (visual: retain "
                                    "accuracy) >= 95 % of Original"));
  if (std::any_of(board.lines.begin(), board.lines.end(), [](const auto& l) { return l.utility_fallback; }))
    notes.push_back(
        "(utility fallback): no setting of that method kept MU >= 95 % of Original; its highest MU is shown");
  for (const auto& warning : faces_training_warnings(o.inputs)) notes.push_back(warning);
  if (board.rung_results)
    notes.push_back(std::to_string(board.rung_results) +
                    " search rung result(s) on capped evaluations left out of the table");
  std::vector<std::pair<std::string, SearchSummary>> searches;
  for (const auto& path : o.inputs)
    if (auto summary = search_summary(path)) searches.emplace_back(path, std::move(*summary));

  // --out: written beside and renamed into place, so a failed report leaves no half page.
  std::ofstream file;
  std::string partial;
  if (!o.out_path.empty()) {
    check_replaceable(o.out_path);
    partial = o.out_path + ".partial";
    file.open(partial);
    if (!file) throw Error(SourceLocation{partial}, "--out", "cannot create the file");
  }
  std::ostream& to = o.out_path.empty() ? out : file;

  if (o.format == "html") {
    HtmlReport page;
    page.inputs = o.inputs;
    page.notes = notes;
    page.tables = std::move(tables);
    page.settings = build_leaderboard(o.inputs, /*all_settings=*/true);
    page.best = board;
    page.searches = std::move(searches);
    write_html_report(page, to);
  } else {
    bool first = true;
    for (const auto& t : tables) {
      if (o.format == "table") {
        if (!first) to << "\n";
        if (!first || t.title != "CLEAR") to << t.title << (t.note.empty() ? "" : ": " + t.note) << "\n";
      }
      write_table(t.table, o.format, to);
      first = false;
    }
  }
  if (!o.adapters_out.empty()) copy_adapters(board, o, out);
  if (o.format == "table") {
    for (const auto& note : notes) to << note << "\n";
    for (const auto& [path, summary] : searches) {
      to << "\n" << path << ":";
      print_search_summary(summary, to);
    }
  }
  if (!o.out_path.empty()) {
    file.close();
    if (!file) throw Error(SourceLocation{partial}, "--out", "cannot write the report");
    std::filesystem::rename(partial, o.out_path);
    out << "wrote " << o.out_path << "\n";
  }
  return comparison && o.tolerance >= 0 && comparison->differs() ? kExitFailure : kExitOk;
}

}  // namespace clear_sweep
