// `report --format html`: one self-contained page (styles, script and plots inline, no
// network) with the leaderboard tables (sortable), forget against retain for every
// setting of every method (the L1 trade-off, seeds' spread as error bars, the Original
// and Gold starred), and each search's rung survival.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "report/leaderboard.h"
#include "report/search_summary.h"
#include "report/svg_plot.h"
#include "report/table_format.h"

namespace clear_sweep {

/// A table of the page, as the text formats print it.
struct ReportTable {
  std::string title, note;
  TextTable table;
  std::vector<bool> reference_rows;  ///< per row: the Original or Gold (kept on top when sorted)
};

struct HtmlReport {
  std::vector<std::string> inputs;  ///< the results files
  std::vector<std::string> notes;   ///< lines under the title (jobs, failures, the rule)
  std::vector<ReportTable> tables;
  Leaderboard settings;  ///< every setting (all_settings), for the trade-off plots
  Leaderboard best;      ///< the lines the tables show, for the robustness bars
  std::vector<std::pair<std::string, SearchSummary>> searches;  ///< per file with a [search]
};

/// Per (benchmark, forget fraction, modality) with attack values: the forget set's Prob
/// of each line (reference rows included) plain and after each attack ([eval] attacks).
std::vector<BarChart> robustness_charts(const Leaderboard& best);

/// What the page's <meta name="generator"> says: `report --out` replaces only a file
/// that holds it (a report it wrote before), never anything else.
inline constexpr const char* kHtmlReportGenerator = "clear-sweep report";

void write_html_report(const HtmlReport& report, std::ostream& out);

/// The trade-off plots' points for one group (benchmark, forget fraction, modality) and
/// method: one series per l1_lambda value where it varies (else one series).
/// x = CLEAR's Forget column, y = its Retain column; for MLLMU-Bench the forget score and
/// the utility (leaderboard.h).
ScatterPlot tradeoff_plot(const Leaderboard& settings, const std::string& benchmark, double forget_fraction,
                          const std::string& modality, const std::string& method);

}  // namespace clear_sweep
