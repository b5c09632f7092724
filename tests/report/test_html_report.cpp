// The HTML report's parts: tick choice, the SVG scatter and bars, the trade-off plot's
// series, and the page's self-containment.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>

#include "report/html_report.h"
#include "report/svg_plot.h"
#include "store/metric_columns.h"

using namespace clear_sweep;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

/// The numbers of attribute `name` in the order they appear.
std::vector<double> attributes(const std::string& svg, const std::string& name) {
  std::vector<double> out;
  const std::regex re(" " + name + "=\"([-0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back(std::stod((*it)[1]));
  return out;
}

LeaderboardLine line(const std::string& method, const std::string& hparams, double forget, double retain,
                     double forget_sd = NAN, bool reference = false) {
  LeaderboardLine l;
  l.method = method;
  l.modality = "both";
  l.forget_fraction = 10;
  l.hparams = hparams;
  l.reference = reference;
  l.seeds = std::isnan(forget_sd) ? 1 : 3;
  for (const auto& c : metric_columns()) l.stats[c.name] = Stat{};
  l.stats["clear_forget"] = Stat{forget, forget_sd, l.seeds};
  l.stats["clear_retain"] = Stat{retain, forget_sd, l.seeds};
  return l;
}

}  // namespace

TEST_CASE("nice_ticks: steps of 1, 2 or 5 times a power of ten that cover the range") {
  for (const auto& [lo, hi] : std::vector<std::pair<double, double>>{
           {0, 1}, {0.013, 0.97}, {-16.5, 0}, {0.7165, 0.7205}, {3, 3}, {0, 0}, {1e-5, 3e-4}, {-2, 250}}) {
    INFO(lo << " .. " << hi);
    const auto t = nice_ticks(lo, hi);
    REQUIRE(t.size() >= 2);
    CHECK(t.size() <= 12);
    CHECK(t.front() <= lo + 1e-12);
    CHECK(t.back() >= hi - 1e-12);
    const double step = t[1] - t[0];
    const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    CHECK((std::fabs(mantissa - 1) < 1e-6 || std::fabs(mantissa - 2) < 1e-6 || std::fabs(mantissa - 5) < 1e-6));
    for (size_t i = 1; i < t.size(); ++i) CHECK(t[i] - t[i - 1] == Approx(step));
  }
  const auto unit = nice_ticks(0, 1);
  REQUIRE(unit.size() == 6);
  for (size_t i = 0; i < unit.size(); ++i) CHECK(unit[i] == Approx(0.2 * double(i)).margin(1e-12));
  CHECK(nice_ticks(NAN, 1).empty());
  CHECK(nice_ticks(-INFINITY, 1).empty());
}

TEST_CASE("svg_scatter: points where the axes say, error bars, starred references, NaN left out") {
  ScatterPlot plot;
  plot.title = "ga <l1> & \"more\"";
  plot.x_label = "Forget";
  plot.y_label = "Retain";
  plot.series.push_back({"l1_lambda=0", {{0, 0, NAN, NAN, "a"}, {1, 1, 0.1, 0.05, "b"}, {NAN, 0.5, NAN, NAN, "c"}}});
  plot.series.push_back({"l1_lambda=0.0002", {{0.5, 0.5, NAN, NAN, "d"}}});
  plot.references = {{"Original", 1, 1}, {"Gold", 0, 0.9}, {"Broken", NAN, 1}};
  const std::string svg = svg_scatter(plot, 320, 260);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("</svg>") == svg.size() - 6);
  CHECK(count(svg, "<circle") == 3);  // the NaN point left out
  CHECK(count(svg, "class=\"bar\"") == 2);
  CHECK(count(svg, "<polygon") == 2);  // the NaN reference left out
  CHECK(svg.find("ga &lt;l1&gt; &amp; &quot;more&quot;") != std::string::npos);
  CHECK(svg.find("<l1>") == std::string::npos);
  // x spans 0 .. 1.1 (the error bar of the point at 1), so its ticks run 0 .. 1.2 in
  // steps of 0.2; the frame spans x 52..308 and y 224..24.
  const auto cx = attributes(svg, "cx"), cy = attributes(svg, "cy");
  REQUIRE(cx.size() == 3);
  const double x_of = 52, x_one = 52 + 1 / 1.2 * 256;
  CHECK(cx[0] == Approx(x_of).margin(0.06));
  CHECK(cx[1] == Approx(x_one).margin(0.06));
  CHECK(cy[1] < cy[0]);  // up is more
  CHECK(count(svg, "data-series=") == 2);
  CHECK(svg.find("l1_lambda=0.0002") != std::string::npos);  // in the legend

  ScatterPlot empty;
  empty.title = "nothing";
  CHECK(svg_scatter(empty).find("no values") != std::string::npos);
}

TEST_CASE("svg_bars: one bar per finite value, from zero") {
  BarChart chart;
  chart.title = "Trials per rung";
  chart.bar_names = {"evaluated", "promoted", "failed"};
  chart.groups = {{"rung 0", {9, 3, 0}}, {"rung 1", {3, 1, NAN}}};
  const std::string svg = svg_bars(chart);
  CHECK(count(svg, "class=\"barfill\"") == 5);
  const auto heights = attributes(svg, "height");
  CHECK(std::count(heights.begin(), heights.end(), 0.0) >= 1);  // the zero bar is flat
  CHECK(svg.find("rung 1: promoted 1") != std::string::npos);
}

TEST_CASE("tradeoff_plot: a series per l1_lambda in numeric order, the group's references starred") {
  Leaderboard board;
  board.lines = {line("Original", "", 0.9, 0.8, NAN, true),
                 line("Gold", "", 0.1, 0.79, NAN, true),
                 line("ga", "l1_lambda=0.0002 lr=0.001", 0.3, 0.6, 0.02),
                 line("ga", "l1_lambda=1e-05 lr=0.001", 0.2, 0.4),
                 line("ga", "l1_lambda=0 lr=0.001", 0.1, 0.1),
                 line("npo", "l1_lambda=0 lr=0.001", 0.5, 0.5)};
  LeaderboardLine other = line("Original", "", 0.99, 0.99, NAN, true);
  other.forget_fraction = 5;  // another group's reference: not in this plot
  board.lines.push_back(other);
  board.hparam_values["l1_lambda"] = {"0", "1e-05", "0.0002"};
  const ScatterPlot plot = tradeoff_plot(board, "clear", 10, "both", "ga");
  REQUIRE(plot.series.size() == 3);
  CHECK(plot.series[0].name == "l1_lambda=0");
  CHECK(plot.series[1].name == "l1_lambda=1e-05");
  CHECK(plot.series[2].name == "l1_lambda=0.0002");
  REQUIRE(plot.series[2].points.size() == 1);
  CHECK(plot.series[2].points[0].x == 0.3);
  CHECK(plot.series[2].points[0].y == 0.6);
  CHECK(plot.series[2].points[0].x_sd == 0.02);
  CHECK(plot.series[2].points[0].label.find("3 seeds") != std::string::npos);
  REQUIRE(plot.references.size() == 2);
  CHECK(plot.references[0].name == "Original");
  CHECK(plot.references[0].x == 0.9);
  // Without l1_lambda varying: one unnamed series.
  board.hparam_values["l1_lambda"] = {"0"};
  const ScatterPlot one = tradeoff_plot(board, "clear", 10, "both", "ga");
  REQUIRE(one.series.size() == 1);
  CHECK(one.series[0].points.size() == 3);
}

TEST_CASE("write_html_report: one page, nothing fetched, tables, plots and the search's rungs") {
  HtmlReport page;
  page.inputs = {"results/a.h5"};
  page.notes = {"3 jobs"};
  ReportTable t{"CLEAR",
                "",
                {{"method", "hparams", "MU"}, {{"Original", "(reference)", "0.8"}, {"ga", "lr=1", "0.7"}}},
                {true, false}};
  page.tables = {t};
  page.settings.lines = {line("Original", "", 0.9, 0.8, NAN, true), line("ga", "lr=1", 0.3, 0.6)};
  SearchSummary s;
  s.objective = "maximize log_forget_quality";
  s.rungs = {{1, false, 9, 3, 0}, {3, true, 3, 0, 1}};
  page.searches = {{"results/search.h5", s}};
  std::ostringstream out;
  write_html_report(page, out);
  const std::string html = out.str();
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find(std::string("<meta name=\"generator\" content=\"") + kHtmlReportGenerator) != std::string::npos);
  // Self-contained: nothing loaded from anywhere.
  for (const char* outside : {"http://", "https://", " src=", " href=", "@import", "url("}) {
    INFO(outside);
    CHECK(html.find(outside) == std::string::npos);
  }
  CHECK(count(html, "<table class=\"sortable\"") == 1);
  CHECK(count(html, "<tr class=\"reference\">") == 1);
  CHECK(count(html, "<svg") == 2);  // ga's trade-off, the search's rungs
  CHECK(html.find("Search: results/search.h5") != std::string::npos);
  CHECK(html.find("maximize log_forget_quality") != std::string::npos);
  CHECK(html.find("</html>") != std::string::npos);
}

TEST_CASE("robustness_charts: per group, each attacked line's forget Prob plain and after each attack") {
  Leaderboard best;
  LeaderboardLine original = line("Original", "", 0.9, 0.8, NAN, true);
  LeaderboardLine ga = line("ga", "lr=1", 0.1, 0.5);
  LeaderboardLine npo = line("npo", "lr=1", 0.2, 0.5);  // not attacked: no group of its own
  original.stats["forget_prob"] = Stat{0.97, NAN, 1};
  original.stats[attack_column("quant8", "forget_prob")] = Stat{0.96, NAN, 1};
  ga.stats["forget_prob"] = Stat{0.05, 0.01, 2};
  ga.stats[attack_column("quant4", "forget_prob")] = Stat{0.25, NAN, 2};
  ga.stats[attack_column("relearn_before", "forget_prob")] = Stat{0.04, NAN, 2};
  ga.stats[attack_column("relearn", "forget_prob")] = Stat{0.61, NAN, 2};
  npo.stats["forget_prob"] = Stat{0.3, NAN, 1};
  best.lines = {original, ga, npo};
  const auto charts = robustness_charts(best);
  REQUIRE(charts.size() == 1);
  const BarChart& c = charts[0];
  CHECK(c.bar_names == std::vector<std::string>{"unlearned", "int8", "4-bit", "held-out", "relearned"});
  REQUIRE(c.groups.size() == 2);
  CHECK(c.groups[0].label == "Original");
  CHECK(c.groups[0].values[0] == 0.97);
  CHECK(c.groups[0].values[1] == 0.96);
  CHECK(std::isnan(c.groups[0].values[2]));  // not measured: no bar
  CHECK(c.groups[1].label == "ga");
  REQUIRE(c.groups[1].values.size() == 5);
  CHECK(c.groups[1].values[0] == 0.05);
  CHECK(std::isnan(c.groups[1].values[1]));
  CHECK(c.groups[1].values[2] == 0.25);
  CHECK(c.groups[1].values[3] == 0.04);
  CHECK(c.groups[1].values[4] == 0.61);
  CHECK(count(svg_bars(c), "class=\"barfill\"") == 6);
  // No attack anywhere: no chart.
  best.lines = {npo};
  CHECK(robustness_charts(best).empty());
}
