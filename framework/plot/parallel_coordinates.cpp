#include "framework/plot/parallel_coordinates.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "framework/core/errors.hpp"
#include "framework/plot/drawing.hpp"

namespace runner::plot {

namespace {
struct AxisScale {
  double lo = 0, hi = 1;
  bool log = false;
  bool categorical = false;
  // The axis position in [0, 1] of a value (1 at the top).
  [[nodiscard]] double at(double v) const {
    if (categorical) {
      return hi > 0 ? v / hi : 0.5;
    }
    const double x = log ? std::log10(v) : v;
    const double a = log ? std::log10(lo) : lo;
    const double b = log ? std::log10(hi) : hi;
    return b > a ? (x - a) / (b - a) : 0.5;
  }
};

std::string number_label(double v) {
  return fmt::format("{:.4g}", v);
}
}  // namespace

std::string render_parallel_coordinates(const ParallelCoordinates& chart, ImageFormat format) {
  const std::size_t axes = chart.axes.size();
  if (axes < 2) {
    throw Error("parallel coordinates: at least one parameter and the metric are needed");
  }
  for (const auto& line : chart.lines) {
    if (line.size() != axes) {
      throw Error("parallel coordinates: one value per axis is required");
    }
  }
  std::vector<AxisScale> scales(axes);
  for (std::size_t a = 0; a < axes; ++a) {
    AxisScale& s = scales[a];
    s.categorical = !chart.axes[a].categories.empty();
    if (s.categorical) {
      s.lo = 0;
      s.hi = static_cast<double>(chart.axes[a].categories.size()) - 1;
      continue;
    }
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const auto& line : chart.lines) {
      if (std::isfinite(line[a]) && (!chart.axes[a].log || line[a] > 0)) {
        lo = std::min(lo, line[a]);
        hi = std::max(hi, line[a]);
      }
    }
    s.lo = std::isfinite(lo) ? lo : 0;
    s.hi = std::isfinite(hi) ? hi : 1;
    s.log = chart.axes[a].log && s.lo > 0;
  }
  // Best last, so it is drawn on top; colours by rank of the metric.
  std::vector<std::size_t> order(chart.lines.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const double a = chart.lines[x].back();
    const double b = chart.lines[y].back();
    return chart.lower_is_better ? a > b : a < b;
  });
  std::string description = fmt::format("{} trials over {} axes:", chart.lines.size(), axes);
  for (const auto& axis : chart.axes) {
    description += " " + axis.name + ";";
  }
  const double left = 70, right = chart.width - 70.0, top = 80, bottom = chart.height - 50.0;
  return render(chart.width, chart.height, format, {chart.title, description}, [&](cairo_t* cr) {
    color(cr, kBlack);
    font(cr, kTitleSize, true);
    text_at(cr, chart.title, chart.width / 2.0, 24, Align::kCenter);
    const double step = (right - left) / static_cast<double>(axes - 1);
    auto x_of = [&](std::size_t a) { return left + step * static_cast<double>(a); };
    auto y_of = [&](std::size_t a, double v) { return bottom - scales[a].at(v) * (bottom - top); };
    cairo_set_line_width(cr, 2.0);
    for (std::size_t k = 0; k < order.size(); ++k) {
      const auto& line = chart.lines[order[k]];
      const double t = order.size() > 1 ? static_cast<double>(k) / (order.size() - 1) : 1.0;
      const Rgb c = viridis(t);
      cairo_set_source_rgb(cr, c.r, c.g, c.b);
      bool drawing = false;
      for (std::size_t a = 0; a < axes; ++a) {
        if (!std::isfinite(line[a]) || (scales[a].log && line[a] <= 0)) {
          drawing = false;
          continue;
        }
        if (drawing) {
          cairo_line_to(cr, x_of(a), y_of(a, line[a]));
        } else {
          cairo_move_to(cr, x_of(a), y_of(a, line[a]));
          drawing = true;
        }
      }
      cairo_stroke(cr);
    }
    // The axes over the lines, each with its name and its range or choices.
    font(cr, kFontSize);
    for (std::size_t a = 0; a < axes; ++a) {
      color(cr, kBlack);
      cairo_set_line_width(cr, 1.2);
      line(cr, x_of(a), top, x_of(a), bottom);
      font(cr, kFontSize, a + 1 == axes);
      text_at(cr, chart.axes[a].name, x_of(a), top - 30, Align::kCenter);
      font(cr, kFontSize - 2);
      if (scales[a].categorical) {
        for (std::size_t c = 0; c < chart.axes[a].categories.size(); ++c) {
          text_at(cr, chart.axes[a].categories[c], x_of(a) + 5, y_of(a, static_cast<double>(c)),
                  Align::kLeft);
        }
      } else {
        text_at(cr, number_label(scales[a].hi), x_of(a), top - 12, Align::kCenter);
        text_at(cr, number_label(scales[a].lo) + (scales[a].log ? " (log)" : ""), x_of(a),
                bottom + 14, Align::kCenter);
      }
    }
  });
}

}  // namespace runner::plot
