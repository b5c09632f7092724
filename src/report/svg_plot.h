// Plots drawn as inline SVG by our own code, for the self-contained HTML report: no
// Python, no network, no plotting library. Two kinds: a scatter with error bars and
// starred reference points (forget against retain per setting), and grouped bars (a
// search's trials per rung).
#pragma once

#include <cmath>
#include <string>
#include <vector>

namespace clear_sweep {

/// One plotted setting: its seeds' mean, and their standard deviation as error bars
/// (NaN: one seed, no bar). `label` is its tooltip.
struct PlotPoint {
  double x = NAN, y = NAN;
  double x_sd = NAN, y_sd = NAN;
  std::string label;
};

/// Points drawn alike (one colour), named in the legend.
struct PlotSeries {
  std::string name;
  std::vector<PlotPoint> points;
};

/// A reference model (the Original, the Gold) marked with a star and its name.
struct ReferenceMark {
  std::string name;
  double x = NAN, y = NAN;
};

struct ScatterPlot {
  std::string title, x_label, y_label;
  std::vector<PlotSeries> series;
  std::vector<ReferenceMark> references;
};

struct BarGroup {
  std::string label;           ///< under the group ("rung 0: 1 epoch")
  std::vector<double> values;  ///< one per bar name
};

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> bar_names;  ///< the legend, one colour each
  std::vector<BarGroup> groups;
};

/// "Nice" tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten), about
/// `target` of them; the first is <= lo and the last >= hi.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

/// An <svg> element, `width` x `height` CSS pixels. Points and references with a NaN
/// coordinate are left out; a plot with none says so in its frame.
std::string svg_scatter(const ScatterPlot& plot, int width = 320, int height = 260);
std::string svg_bars(const BarChart& chart, int width = 420, int height = 240);

/// Text made safe inside HTML or SVG elements and attributes.
std::string xml_escape(const std::string& text);

}  // namespace clear_sweep
