#include "report/svg_plot.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace clear_sweep {
namespace {

// Okabe and Ito's colours: told apart with every common colour-vision deficiency.
const char* const kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999", "#000000"};
constexpr size_t kColours = sizeof kPalette / sizeof kPalette[0];

std::string num(double v) {  // coordinates: a tenth of a pixel is enough
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string tick_text(double v, double step) {
  if (std::fabs(v) < step * 1e-9) v = 0;  // no "-0" or "1e-17" at the origin
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

/// The range [lo, hi] of what a plot holds, grown to cover `v`.
struct Range {
  double lo = INFINITY, hi = -INFINITY;
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

/// Maps data to pixels on one axis.
struct Axis {
  double lo, hi, from, to;  // data lo..hi onto pixels from..to
  double operator()(double v) const { return from + (v - lo) / (hi - lo) * (to - from); }
};

std::string star(double cx, double cy, double r) {  // five points, inner radius r / 2.5
  std::string points;
  for (int i = 0; i < 10; ++i) {
    const double a = -M_PI / 2 + i * M_PI / 5, rr = i % 2 ? r / 2.5 : r;
    points += (i ? " " : "") + num(cx + rr * std::cos(a)) + "," + num(cy + rr * std::sin(a));
  }
  return points;
}

/// Gridlines and tick labels of both axes, and the frame.
void draw_axes(std::ostringstream& s, const Axis& x, const std::vector<double>& xt, const Axis& y,
               const std::vector<double>& yt, const std::string& x_label, const std::string& y_label) {
  const double xstep = xt.size() > 1 ? xt[1] - xt[0] : 1, ystep = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double v : yt) {
    s << "<line class=\"grid\" x1=\"" << num(x.from) << "\" x2=\"" << num(x.to) << "\" y1=\"" << num(y(v)) << "\" y2=\""
      << num(y(v)) << "\"/>";
    s << "<text class=\"tick\" x=\"" << num(x.from - 4) << "\" y=\"" << num(y(v) + 3) << "\" text-anchor=\"end\">"
      << tick_text(v, ystep) << "</text>";
  }
  for (double v : xt) {
    if (std::isnan(x.lo)) break;
    s << "<line class=\"grid\" y1=\"" << num(y.from) << "\" y2=\"" << num(y.to) << "\" x1=\"" << num(x(v)) << "\" x2=\""
      << num(x(v)) << "\"/>";
    s << "<text class=\"tick\" x=\"" << num(x(v)) << "\" y=\"" << num(y.from + 13) << "\" text-anchor=\"middle\">"
      << tick_text(v, xstep) << "</text>";
  }
  s << "<rect class=\"frame\" x=\"" << num(x.from) << "\" y=\"" << num(y.to) << "\" width=\"" << num(x.to - x.from)
    << "\" height=\"" << num(y.from - y.to) << "\"/>";
  if (!x_label.empty())
    s << "<text class=\"label\" x=\"" << num((x.from + x.to) / 2) << "\" y=\"" << num(y.from + 28)
      << "\" text-anchor=\"middle\">" << xml_escape(x_label) << "</text>";
  s << "<text class=\"label\" transform=\"translate(12," << num((y.from + y.to) / 2)
    << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(y_label) << "</text>";
}

/// The <svg> element's opening, its tooltip title and the visible title above the plot.
void open_svg(std::ostringstream& s, int width, double height, const std::string& title) {
  s << "<svg class=\"plot\" role=\"img\" width=\"" << width << "\" height=\"" << num(height) << "\" viewBox=\"0 0 "
    << width << " " << num(height) << "\"><title>" << xml_escape(title) << "</title>";
  s << "<text class=\"title\" x=\"" << num(width / 2.0) << "\" y=\"15\" text-anchor=\"middle\">" << xml_escape(title)
    << "</text>";
}

/// The legend: one swatch and name per entry, wrapped into rows from (left, top).
/// Returns the height it took.
double draw_legend(std::ostringstream& s, const std::vector<std::string>& names, double left, double top,
                   double width) {
  double x = left, y = top;
  for (size_t i = 0; i < names.size(); ++i) {
    const double w = 16 + 6.2 * double(names[i].size()) + 10;
    if (x + w > left + width && x > left) {
      x = left;
      y += 14;
    }
    s << "<rect x=\"" << num(x) << "\" y=\"" << num(y - 8) << "\" width=\"10\" height=\"10\" fill=\""
      << kPalette[i % kColours] << "\"/><text class=\"tick\" x=\"" << num(x + 14) << "\" y=\"" << num(y + 1) << "\">"
      << xml_escape(names[i]) << "</text>";
    x += w;
  }
  return names.empty() ? 0 : y - top + 14;
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo < 1e-12 * std::max(1.0, std::fabs(lo))) {  // one value: a unit around it
    const double pad = lo == 0 ? 0.5 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  const double first = std::floor(lo / step + 1e-9) * step, last = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (int i = 0; first + i * step <= last + step * 1e-9; ++i) ticks.push_back(first + i * step);
  return ticks;
}

std::string svg_scatter(const ScatterPlot& plot, int width, int height) {
  Range xr, yr;
  for (const auto& series : plot.series)
    for (const auto& p : series.points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      for (double sx : {0.0, -1.0, 1.0}) xr.add(p.x + sx * (std::isfinite(p.x_sd) ? p.x_sd : 0));
      for (double sy : {0.0, -1.0, 1.0}) yr.add(p.y + sy * (std::isfinite(p.y_sd) ? p.y_sd : 0));
    }
  for (const auto& r : plot.references)
    if (std::isfinite(r.x) && std::isfinite(r.y)) {
      xr.add(r.x);
      yr.add(r.y);
    }
  std::vector<std::string> names;
  for (const auto& series : plot.series) names.push_back(series.name);
  const bool legend = plot.series.size() > 1 || (!names.empty() && !names[0].empty());

  const double left = 52, right = 12, top = 24, bottom = 36;
  std::ostringstream body;
  double legend_height = 0;
  if (legend) legend_height = draw_legend(body, names, left, height + 2, width - left - right);
  std::ostringstream s;
  open_svg(s, width, height + legend_height + 4, plot.title);
  if (xr.empty() || yr.empty()) {
    s << "<rect class=\"frame\" x=\"" << left << "\" y=\"" << top << "\" width=\"" << num(width - left - right)
      << "\" height=\"" << num(height - top - bottom) << "\"/><text class=\"tick\" x=\"" << num(width / 2.0)
      << "\" y=\"" << num(height / 2.0) << "\" text-anchor=\"middle\">no values</text></svg>";
    return s.str();
  }
  const auto xt = nice_ticks(xr.lo, xr.hi), yt = nice_ticks(yr.lo, yr.hi);
  const Axis x{xt.front(), xt.back(), left, width - right};
  const Axis y{yt.front(), yt.back(), height - bottom, top};
  draw_axes(s, x, xt, y, yt, plot.x_label, plot.y_label);
  s << body.str();
  for (size_t i = 0; i < plot.series.size(); ++i) {
    const char* colour = kPalette[i % kColours];
    s << "<g class=\"series\" data-series=\"" << xml_escape(plot.series[i].name) << "\" fill=\"" << colour
      << "\" stroke=\"" << colour << "\">";
    for (const auto& p : plot.series[i].points) {
      if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
      if (std::isfinite(p.x_sd) && p.x_sd > 0)
        s << "<line class=\"bar\" x1=\"" << num(x(p.x - p.x_sd)) << "\" x2=\"" << num(x(p.x + p.x_sd)) << "\" y1=\""
          << num(y(p.y)) << "\" y2=\"" << num(y(p.y)) << "\"/>";
      if (std::isfinite(p.y_sd) && p.y_sd > 0)
        s << "<line class=\"bar\" y1=\"" << num(y(p.y - p.y_sd)) << "\" y2=\"" << num(y(p.y + p.y_sd)) << "\" x1=\""
          << num(x(p.x)) << "\" x2=\"" << num(x(p.x)) << "\"/>";
      s << "<circle class=\"point\" cx=\"" << num(x(p.x)) << "\" cy=\"" << num(y(p.y)) << "\" r=\"3.5\"><title>"
        << xml_escape(p.label) << "</title></circle>";
    }
    s << "</g>";
  }
  for (size_t i = 0; i < plot.references.size(); ++i) {
    const ReferenceMark& r = plot.references[i];
    if (!std::isfinite(r.x) || !std::isfinite(r.y)) continue;
    const double label_dy = i % 2 ? 14 : -6;  // alternately above and below: two stars may meet
    const bool near_right = x(r.x) > x.to - 7 * double(r.name.size()) - 10;  // the name goes left of the star
    s << "<g class=\"reference\" data-reference=\"" << xml_escape(r.name) << "\"><polygon points=\""
      << star(x(r.x), y(r.y), 7) << "\"><title>" << xml_escape(r.name) << "</title></polygon><text class=\"tick\" x=\""
      << num(x(r.x) + (near_right ? -8 : 8)) << "\" y=\"" << num(y(r.y) + label_dy) << "\" text-anchor=\""
      << (near_right ? "end" : "start") << "\">" << xml_escape(r.name) << "</text></g>";
  }
  s << "</svg>";
  return s.str();
}

std::string svg_bars(const BarChart& chart, int width, int height) {
  Range yr;
  yr.add(0);
  for (const auto& g : chart.groups)
    for (double v : g.values) yr.add(v);
  const double left = 52, right = 12, top = 24, bottom = 36;
  std::ostringstream legend;
  const double legend_height = draw_legend(legend, chart.bar_names, left, height + 2, width - left - right);
  std::ostringstream s;
  open_svg(s, width, height + legend_height + 4, chart.title);
  const auto yt = nice_ticks(0, std::max(1.0, yr.hi));
  const Axis y{yt.front(), yt.back(), height - bottom, top};
  const Axis none{NAN, NAN, left, width - right};  // no x ticks: the groups are named below
  draw_axes(s, none, {}, y, yt, "", chart.y_label);
  s << legend.str();
  const double group_width = (width - left - right) / std::max<size_t>(1, chart.groups.size());
  const size_t bars = std::max<size_t>(1, chart.bar_names.size());
  const double bar_width = group_width * 0.8 / double(bars);
  for (size_t g = 0; g < chart.groups.size(); ++g) {
    const double x0 = left + g * group_width + group_width * 0.1;
    for (size_t b = 0; b < chart.groups[g].values.size() && b < bars; ++b) {
      const double v = chart.groups[g].values[b];
      if (!std::isfinite(v)) continue;
      s << "<rect class=\"barfill\" x=\"" << num(x0 + b * bar_width) << "\" y=\"" << num(y(v)) << "\" width=\""
        << num(bar_width * 0.9) << "\" height=\"" << num(y(0) - y(v)) << "\" fill=\"" << kPalette[b % kColours]
        << "\"><title>" << xml_escape(chart.groups[g].label + ": " + chart.bar_names[b] + " " + tick_text(v, 1))
        << "</title></rect>";
    }
    s << "<text class=\"tick\" x=\"" << num(x0 + group_width * 0.4) << "\" y=\"" << num(y.from + 13)
      << "\" text-anchor=\"middle\">" << xml_escape(chart.groups[g].label) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

}  // namespace clear_sweep
