#include "report/html_report.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "common/number_format.h"
#include "common/version.h"
#include "store/metric_columns.h"

namespace clear_sweep {
namespace {

const char* const kStyle = R"(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; margin: 24px auto;
       max-width: 1400px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 6px; }
h3 { font-size: 15px; margin: 18px 0 4px; } p.note { color: #555; margin: 2px 0 8px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 6px 0 12px; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e2e2e2; text-align: right; white-space: nowrap; }
th { background: #f4f4f4; cursor: pointer; user-select: none; position: sticky; top: 0; }
th[aria-sort=ascending]::after { content: " \25B2"; } th[aria-sort=descending]::after { content: " \25BC"; }
th.text, td.text { text-align: left; }
.scroll { overflow-x: auto; }
tr.reference td { background: #fbf7e8; font-style: italic; }
.plots { display: flex; flex-wrap: wrap; gap: 10px; }
svg.plot { background: #fff; border: 1px solid #eee; }
svg .grid { stroke: #ececec; } svg .frame { fill: none; stroke: #888; }
svg .tick { font-size: 10px; fill: #444; } svg .label { font-size: 11px; fill: #222; }
svg .title { font-size: 12px; font-weight: 600; fill: #111; }
svg .bar { stroke-width: 1.2; } svg .point { stroke: #fff; stroke-width: 0.8; }
svg .reference polygon { fill: #d4a017; stroke: #5a4500; stroke-width: 0.8; }
pre { background: #f7f7f7; padding: 8px 12px; overflow-x: auto; }
)";

// Sorting by a header click; reference rows stay on top. "#selftest" sorts each table by
// every numeric column and checks the order (the browser test reads data-selftest).
// Errors anywhere are counted in data-errors, and data-ready says the script ran to its end.
const char* const kScript = R"(
(function () {
  var errors = 0;
  window.addEventListener('error', function () { errors++; document.body.dataset.errors = errors; });
  document.body.dataset.errors = 0;
  function value(cell) {
    var m = cell.textContent.trim().match(/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i);
    return m ? parseFloat(m[0]) : (cell.textContent.trim() === '-' ? null : cell.textContent.trim());
  }
  function compare(a, b) {
    if (a === null) return b === null ? 0 : 1;  // no value: last either way
    if (b === null) return -1;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return String(a).localeCompare(String(b));
  }
  function sortBy(table, column, ascending) {
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    var pinned = rows.filter(function (r) { return r.classList.contains('reference'); });
    var rest = rows.filter(function (r) { return !r.classList.contains('reference'); });
    rest.sort(function (x, y) {
      var a = value(x.cells[column]), b = value(y.cells[column]);
      if (a === null || b === null) return compare(a, b);
      return ascending ? compare(a, b) : compare(b, a);
    });
    pinned.concat(rest).forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      if (i === column) th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
  }
  var tables = document.querySelectorAll('table.sortable');
  Array.prototype.forEach.call(tables, function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.addEventListener('click', function () { sortBy(table, i, th.getAttribute('aria-sort') !== 'ascending'); });
    });
  });
  if (location.hash === '#selftest') {
    var verdict = 'ok', checked = 0;
    Array.prototype.forEach.call(tables, function (table) {
      var columns = table.tHead.rows[0].cells.length;
      for (var c = 0; c < columns; c++) {
        [true, false].forEach(function (ascending) {
          sortBy(table, c, ascending);
          var seen = [];
          Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
            if (!r.classList.contains('reference')) seen.push(value(r.cells[c]));
          });
          var numbers = seen.filter(function (v) { return typeof v === 'number'; });
          for (var i = 1; i < numbers.length; i++)
            if (ascending ? numbers[i] < numbers[i - 1] : numbers[i] > numbers[i - 1])
              verdict = 'unsorted column ' + c + ' of ' + (table.id || 'a table');
          if (numbers.length > 1) checked++;
        });
      }
      if (table.tBodies[0].rows.length && !table.tBodies[0].rows[0].classList.contains('reference') &&
          table.querySelector('tr.reference')) verdict = 'a reference row left the top of ' + table.id;
    });
    document.body.dataset.selftest = verdict + ' (' + checked + ' sorts)';
  }
  document.body.dataset.ready = 'yes';
})();
)";

std::string fraction_text(double f) { return format_number(f) + " % forget"; }

/// The value of hyperparameter `key` in "k=v k=v" text, or "".
std::string hparam(const std::string& hparams, const std::string& key) {
  std::istringstream in(hparams);
  for (std::string kv; in >> kv;)
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
  return "";
}

void write_table(const ReportTable& t, size_t index, std::ostream& out) {
  out << "<h2>" << xml_escape(t.title) << "</h2>\n";
  if (!t.note.empty()) out << "<p class=\"note\">" << xml_escape(t.note) << "</p>\n";
  // Names left-aligned, numbers right-aligned (the stylesheet's default).
  static const std::set<std::string> text_columns{"method", "modality", "hparams", "metric", "at job"};
  std::vector<bool> text;
  for (const auto& h : t.table.header) text.push_back(text_columns.count(h) > 0);
  out << "<div class=\"scroll\"><table class=\"sortable\" id=\"table-" << index << "\"><thead><tr>";
  for (size_t c = 0; c < t.table.header.size(); ++c)
    out << (text[c] ? "<th class=\"text\">" : "<th>") << xml_escape(t.table.header[c]) << "</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < t.table.rows.size(); ++r) {
    const bool reference = r < t.reference_rows.size() && t.reference_rows[r];
    out << (reference ? "<tr class=\"reference\">" : "<tr>");
    for (size_t c = 0; c < t.table.rows[r].size(); ++c)
      out << (c < text.size() && text[c] ? "<td class=\"text\">" : "<td>") << xml_escape(t.table.rows[r][c]) << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody></table></div>\n";
}

void write_tradeoffs(const Leaderboard& settings, std::ostream& out) {
  std::map<std::tuple<std::string, double, std::string>, std::set<std::string>> groups;  // -> methods
  for (const auto& l : settings.lines)
    if (!l.reference) groups[{l.benchmark, l.forget_fraction, l.modality}].insert(l.method);
  if (groups.empty()) return;
  out << "<h2>Forget against retain, every setting</h2>\n<p class=\"note\">One panel per method, one point per "
         "hyperparameter setting (its seeds' mean; error bars: their standard deviation), coloured by l1_lambda "
         "where it varies. CLEAR: x = the Forget column (lower forgets more), y = the Retain column (higher keeps "
         "more). MLLMU-Bench: x = the forget score, y = the utility. Visual: x = forget accuracy, y = retain "
         "accuracy. Stars: the Original and the Gold model.</p>\n";
  for (const auto& [group, methods] : groups) {
    const auto& [benchmark, fraction, modality] = group;
    const char* title = benchmark == "mllmu"   ? "MLLMU-Bench, "
                        : benchmark == "faces" ? "CLEAR visual, "
                        : benchmark == "tofu"  ? "TOFU, "
                                               : "CLEAR, ";
    out << "<h3>" << title << xml_escape(fraction_text(fraction)) << ", " << xml_escape(modality)
        << "</h3>\n<div class=\"plots\">\n";
    for (const auto& method : methods)
      out << svg_scatter(tradeoff_plot(settings, benchmark, fraction, modality, method)) << "\n";
    out << "</div>\n";
  }
}

void write_robustness(const Leaderboard& best, std::ostream& out) {
  const auto charts = robustness_charts(best);
  if (charts.empty()) return;
  out << "<h2>Does the forgetting survive an attack?</h2>\n<p class=\"note\">The forget set's Prob (the answer's "
         "probability) of each best setting and reference model, as unlearned, with its weights rounded to int8 and "
         "to 4 bits, and on the forget items relearning left out, before and after relearning the others. A bar "
         "that grows back means the knowledge was hidden, not removed.</p>\n<div class=\"plots\">\n";
  for (const auto& chart : charts)
    out << svg_bars(chart, std::max(420, 60 + 90 * int(chart.groups.size())), 260) << "\n";
  out << "</div>\n";
}

void write_search(const std::string& path, const SearchSummary& s, std::ostream& out) {
  out << "<h2>Search: " << xml_escape(path) << "</h2>\n";
  BarChart chart;
  chart.title = "Trials per rung";
  chart.y_label = "trials";
  chart.bar_names = {"evaluated", "promoted", "failed"};
  for (size_t i = 0; i < s.rungs.size(); ++i) {
    const RungCount& r = s.rungs[i];
    BarGroup g;
    g.label = "rung " + std::to_string(i) + (r.epochs ? ": " + std::to_string(r.epochs) + " ep" : "");
    g.values = {double(r.evaluated), double(r.promoted), double(r.failed)};
    chart.groups.push_back(std::move(g));
  }
  if (!chart.groups.empty()) out << "<div class=\"plots\">" << svg_bars(chart) << "</div>\n";
  std::ostringstream text;
  print_search_summary(s, text);
  out << "<pre>" << xml_escape(text.str()) << "</pre>\n";
}

}  // namespace

std::vector<BarChart> robustness_charts(const Leaderboard& best) {
  const std::vector<std::pair<std::string, std::string>> bars{
      {"forget_prob", "unlearned"},
      {attack_column("quant8", "forget_prob"), "int8"},
      {attack_column("quant4", "forget_prob"), "4-bit"},
      {attack_column("relearn_before", "forget_prob"), "held-out"},
      {attack_column("relearn", "forget_prob"), "relearned"}};
  std::map<std::tuple<std::string, double, std::string>, BarChart> charts;
  for (const auto& l : best.lines) {
    const bool attacked = std::any_of(bars.begin() + 1, bars.end(), [&](const auto& b) {
      const auto it = l.stats.find(b.first);
      return it != l.stats.end() && it->second.n > 0;
    });
    if (!attacked) continue;
    BarChart& chart = charts[{l.benchmark, l.forget_fraction, l.modality}];
    if (chart.title.empty()) {
      chart.title = "Forget Prob under attack, " + fraction_text(l.forget_fraction) + ", " + l.modality;
      chart.y_label = "forget Prob";
      for (const auto& b : bars) chart.bar_names.push_back(b.second);
    }
    BarGroup g;
    g.label = l.method;
    for (const auto& b : bars) {
      const auto it = l.stats.find(b.first);
      g.values.push_back(it != l.stats.end() && it->second.n > 0 ? it->second.mean : NAN);
    }
    chart.groups.push_back(std::move(g));
  }
  std::vector<BarChart> out;
  for (auto& [key, chart] : charts) out.push_back(std::move(chart));
  return out;
}

ScatterPlot tradeoff_plot(const Leaderboard& settings, const std::string& benchmark, double forget_fraction,
                          const std::string& modality, const std::string& method) {
  const bool mllmu = benchmark == "mllmu", faces = benchmark == "faces", tofu = benchmark == "tofu";
  ScatterPlot plot;
  plot.title = method;
  // TOFU's own plot: model utility against log forget quality.
  plot.x_label = mllmu ? "forget score" : faces ? "forget accuracy" : tofu ? "log forget quality" : "Forget";
  plot.y_label = mllmu ? "utility" : faces ? "retain accuracy" : tofu ? "model utility" : "Retain";
  // The (x, y) of a line, each with its seeds' standard deviation where it has one.
  const std::string x_metric = faces ? "faces_forget_accuracy" : tofu ? "log_forget_quality" : "clear_forget";
  const std::string y_metric = faces ? "faces_retain_accuracy" : tofu ? "model_utility" : "clear_retain";
  auto point_of = [&](const LeaderboardLine& l) {
    if (mllmu) return PlotPoint{mllmu_forget_score(l.stats), mllmu_utility(l.stats), NAN, NAN, ""};
    const Stat &x = l.stats.at(x_metric), &y = l.stats.at(y_metric);
    return PlotPoint{x.mean, y.mean, x.sd, y.sd, ""};
  };
  const auto lambdas = settings.hparam_values.find("l1_lambda");
  const bool by_lambda = lambdas != settings.hparam_values.end() && lambdas->second.size() > 1;
  std::map<std::string, PlotSeries> series;  // by l1_lambda text
  for (const auto& l : settings.lines) {
    if (l.benchmark != benchmark || l.forget_fraction != forget_fraction || l.modality != modality) continue;
    if (l.reference) {
      const PlotPoint p = point_of(l);
      plot.references.push_back(ReferenceMark{l.method, p.x, p.y});
      continue;
    }
    if (l.method != method) continue;
    PlotPoint p = point_of(l);
    p.label = (l.hparams.empty() ? std::string("defaults") : l.hparams) + " (" + std::to_string(l.seeds) + " seed" +
              (l.seeds == 1 ? "" : "s") + ")";
    const std::string lambda = by_lambda ? hparam(l.hparams, "l1_lambda") : "";
    PlotSeries& s = series[lambda];
    s.name = by_lambda ? "l1_lambda=" + (lambda.empty() ? std::string("0") : lambda) : "";
    s.points.push_back(std::move(p));
  }
  // Numeric order of l1_lambda (text order would put 1e-05 after 0.0002).
  std::vector<std::pair<double, PlotSeries>> ordered;
  for (auto& [lambda, s] : series) ordered.emplace_back(lambda.empty() ? 0.0 : std::stod(lambda), std::move(s));
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [lambda, s] : ordered) plot.series.push_back(std::move(s));
  return plot;
}

void write_html_report(const HtmlReport& report, std::ostream& out) {
  std::string files;
  for (const auto& f : report.inputs) files += (files.empty() ? "" : ", ") + f;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta name=\"generator\" content=\""
      << kHtmlReportGenerator << " " << xml_escape(version()) << "\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>clear-sweep report: "
      << xml_escape(files) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  out << "<h1>clear-sweep report</h1>\n<p class=\"note\">" << xml_escape(files) << "</p>\n";
  for (const auto& note : report.notes) out << "<p class=\"note\">" << xml_escape(note) << "</p>\n";
  for (size_t i = 0; i < report.tables.size(); ++i) write_table(report.tables[i], i, out);
  write_tradeoffs(report.settings, out);
  write_robustness(report.best, out);
  for (const auto& [path, summary] : report.searches) write_search(path, summary, out);
  out << "<script>" << kScript << "</script>\n</body></html>\n";
}

}  // namespace clear_sweep
