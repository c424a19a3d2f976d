#include "framework/plot/charts.hpp"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <tuple>

#include "framework/core/errors.hpp"
#include "framework/plot/drawing.hpp"

namespace runner::plot {

namespace {
struct Range {
  double lo = 0, hi = 1;
};

// Finite y values of all series, padded by 5% and widened to round ticks.
Range y_range(const LineChart& chart) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const auto& s : chart.series) {
    for (double v : s.y) {
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  if (!std::isfinite(lo)) {
    return {};
  }
  const double pad = hi > lo ? 0.05 * (hi - lo) : std::max(0.05 * std::abs(lo), 0.05);
  return {lo - pad, hi + pad};
}

Range x_range(const LineChart& chart) {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (const auto& s : chart.series) {
    for (double v : s.x) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!std::isfinite(lo)) {
    return {};
  }
  if (hi <= lo) {
    return {lo - 1, hi + 1};
  }
  const double pad = 0.03 * (hi - lo);  // points on the frame would be half hidden
  return {lo - pad, hi + pad};
}

std::string describe(const LineChart& chart) {
  std::vector<std::string> names;
  for (const auto& s : chart.series) {
    names.push_back(s.name);
  }
  std::string text = fmt::format("x axis: {}; y axis: {}; lines: {}", chart.x_label, chart.y_label,
                                 fmt::join(names, ", "));
  if (chart.marker_x) {
    text += "; " + chart.marker_label;
  }
  return text;
}
}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) {
    return {lo};
  }
  const double raw = (hi - lo) / std::max(target, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double n = raw / magnitude;
  const double step = magnitude * (n < 1.5 ? 1 : n < 2.25 ? 2 : n < 3.5 ? 2.5 : n < 7.5 ? 5 : 10);
  std::vector<double> ticks;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) {
    ticks.push_back(k * step);
  }
  return ticks;
}

namespace {

// Where a line chart's plot area sits and how data maps into it.
struct PlotArea {
  double left = 0, right = 0, top = 0, bottom = 0;
  Range xr, yr;
  [[nodiscard]] double px(double x) const {
    return left + (x - xr.lo) / (xr.hi - xr.lo) * (right - left);
  }
  [[nodiscard]] double py(double y) const {
    return bottom - (y - yr.lo) / (yr.hi - yr.lo) * (bottom - top);
  }
};

// The grid, the ticks and their labels, the frame and the axis labels.
void draw_axes(cairo_t* cr, const LineChart& chart, const PlotArea& a) {
  std::vector<double> yt = nice_ticks(a.yr.lo, a.yr.hi, 6);
  std::vector<double> xt = nice_ticks(a.xr.lo, a.xr.hi, 8);
  if (chart.integer_x) {
    std::erase_if(xt, [](double v) { return std::abs(v - std::round(v)) > 1e-9; });
    if (xt.empty()) {
      xt.push_back(std::ceil(a.xr.lo));
    }
  }
  font(cr, kFontSize - 1);
  cairo_set_line_width(cr, 1);
  const int y_decimals = yt.size() > 1 ? decimals_of(yt[1] - yt[0]) : 2;
  for (double v : yt) {
    if (v < a.yr.lo - 1e-12 || v > a.yr.hi + 1e-12) {
      continue;
    }
    color(cr, kGrid);
    line(cr, a.left, a.py(v), a.right, a.py(v));
    color(cr, kBlack);
    text_at(cr, tick_label(v, y_decimals), a.left - 8, a.py(v), Align::kRight);
  }
  const int x_decimals = xt.size() > 1 ? decimals_of(xt[1] - xt[0]) : 0;
  for (double v : xt) {
    color(cr, kBlack);
    line(cr, a.px(v), a.bottom, a.px(v), a.bottom + 5);
    text_at(cr, tick_label(v, chart.integer_x ? 0 : x_decimals), a.px(v), a.bottom + 16,
            Align::kCenter);
  }
  color(cr, kBlack);
  cairo_rectangle(cr, a.left, a.top, a.right - a.left, a.bottom - a.top);
  cairo_stroke(cr);

  font(cr, kFontSize);
  text_at(cr, chart.x_label, (a.left + a.right) / 2, chart.height - 18.0, Align::kCenter);
  cairo_save(cr);
  cairo_translate(cr, 20, (a.top + a.bottom) / 2);
  cairo_rotate(cr, -M_PI / 2);
  text_at(cr, chart.y_label, 0, 0, Align::kCenter);
  cairo_restore(cr);
}

// A dashed vertical line at chart.marker_x (the best epoch), labelled at the bottom: the legend
// sits at the top right.
void draw_marker(cairo_t* cr, const LineChart& chart, const PlotArea& a) {
  const double x = a.px(*chart.marker_x);
  cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
  const std::array<double, 2> dash = {5, 4};
  cairo_set_dash(cr, dash.data(), 2, 0);
  line(cr, x, a.top, x, a.bottom);
  cairo_set_dash(cr, nullptr, 0, 0);
  font(cr, kFontSize - 1);
  const double w = text_width(cr, chart.marker_label);
  const bool room_right = x + w + 10 < a.right;
  const double tx = room_right ? x + 5 : x - 5 - w;
  cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
  cairo_rectangle(cr, tx - 2, a.bottom - 22, w + 4, 18);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  text_at(cr, chart.marker_label, tx, a.bottom - 13, Align::kLeft);
}

// The lines, clipped to the plot area; a gap at each non-finite value; dots on short series.
void draw_series(cairo_t* cr, const LineChart& chart, const PlotArea& a) {
  cairo_save(cr);
  cairo_rectangle(cr, a.left, a.top, a.right - a.left, a.bottom - a.top);
  cairo_clip(cr);
  cairo_set_line_width(cr, 2);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const auto& s = chart.series[i];
    color(cr, kPalette[i % kPalette.size()]);
    const std::array<double, 2> dash = {7, 4};
    cairo_set_dash(cr, dash.data(), s.dashed ? 2 : 0, 0);
    bool drawing = false;
    const std::size_t n = std::min(s.x.size(), s.y.size());
    for (std::size_t k = 0; k < n && !s.points_only; ++k) {
      if (!std::isfinite(s.y[k])) {
        drawing = false;
        continue;
      }
      if (drawing) {
        cairo_line_to(cr, a.px(s.x[k]), a.py(s.y[k]));
      } else {
        cairo_move_to(cr, a.px(s.x[k]), a.py(s.y[k]));
        drawing = true;
      }
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    if (n <= 40 || s.points_only) {
      for (std::size_t k = 0; k < n; ++k) {
        if (std::isfinite(s.y[k])) {
          cairo_arc(cr, a.px(s.x[k]), a.py(s.y[k]), 3, 0, 2 * M_PI);
          cairo_fill(cr);
        }
      }
    }
  }
  cairo_restore(cr);
}

// Inside the plot, the legend goes to a corner the best-epoch line does not cross (the legend is
// translucent), and of those to the one that hides the fewest line points (sampled along the
// segments), top right on a tie.
std::pair<double, double> legend_corner(const LineChart& chart, const PlotArea& a, double legend_w,
                                        double legend_h) {
  double lx = a.right + 20, ly = a.top;
  std::size_t fewest = std::numeric_limits<std::size_t>::max();
  for (const auto& [cx, cy] :
       {std::pair{a.right - legend_w - 10, a.top + 10},
        std::pair{a.right - legend_w - 10, a.bottom - legend_h - 30},
        std::pair{a.left + 10, a.top + 10}, std::pair{a.left + 10, a.bottom - legend_h - 30}}) {
    // Crossing the marker costs more than any number of hidden points.
    const double marker = chart.marker_x ? a.px(*chart.marker_x) : -1e9;
    std::size_t hidden = marker >= cx - 4 && marker <= cx + legend_w + 4
                             ? std::numeric_limits<std::size_t>::max() / 2
                             : 0;
    for (const auto& s : chart.series) {
      for (std::size_t k = 0; k + 1 < std::min(s.x.size(), s.y.size()); ++k) {
        for (int step = 0; step <= 20; ++step) {
          const double f = step / 20.0;
          const double x = a.px(s.x[k] + f * (s.x[k + 1] - s.x[k]));
          const double y = a.py(s.y[k] + f * (s.y[k + 1] - s.y[k]));
          hidden += x >= cx && x <= cx + legend_w && y >= cy && y <= cy + legend_h;
        }
      }
    }
    if (hidden < fewest) {
      fewest = hidden;
      lx = cx;
      ly = cy;
    }
  }
  return {lx, ly};
}

constexpr double kLegendRow = 20;

// Where the plot area and the legend go (the legend outside, right of the plot, for more than
// three series).
struct Layout {
  PlotArea area;
  bool legend_outside = false;
  double lx = 0, ly = 0, legend_w = 0, legend_h = 0;
};

Layout layout_of(const LineChart& chart) {
  Layout l;
  l.legend_outside = chart.series.size() > 3;
  std::vector<std::string> names;
  for (const auto& s : chart.series) {
    names.push_back(s.name);
  }
  l.legend_w = widest_text(names) + 40;
  l.legend_h = kLegendRow * static_cast<double>(chart.series.size()) + 8;
  PlotArea& area = l.area;
  area.left = 80;
  area.top = 50;
  area.bottom = chart.height - 60.0;
  area.right = chart.width - (l.legend_outside ? l.legend_w + 30 : 30);
  area.xr = x_range(chart);
  area.yr = y_range(chart);
  l.lx = area.right + 20;
  l.ly = area.top;
  if (!l.legend_outside) {
    std::tie(l.lx, l.ly) = legend_corner(chart, area, l.legend_w, l.legend_h);
  }
  return l;
}

void draw_legend(cairo_t* cr, const LineChart& chart, const Layout& l) {
  font(cr, kFontSize - 1);
  const double lx = l.lx;
  const double ly = l.ly;
  if (!l.legend_outside) {
    cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
    cairo_rectangle(cr, lx, ly, l.legend_w, l.legend_h);
    cairo_fill(cr);
  }
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const double y = ly + 14 + kLegendRow * static_cast<double>(i);
    color(cr, kPalette[i % kPalette.size()]);
    cairo_set_line_width(cr, 2.5);
    const std::array<double, 2> dash = {7, 4};
    cairo_set_dash(cr, dash.data(), chart.series[i].dashed ? 2 : 0, 0);
    if (chart.series[i].points_only) {
      cairo_arc(cr, lx + 17, y, 3.5, 0, 2 * M_PI);
      cairo_fill(cr);
    } else {
      line(cr, lx + 6, y, lx + 28, y);
    }
    cairo_set_dash(cr, nullptr, 0, 0);
    color(cr, kBlack);
    text_at(cr, chart.series[i].name, lx + 34, y, Align::kLeft);
  }
}

}  // namespace

LineChartLayout line_chart_layout(const LineChart& chart) {
  const Layout l = layout_of(chart);
  const PlotArea& a = l.area;
  LineChartLayout out;
  out.plot = {a.left, a.top, a.right - a.left, a.bottom - a.top};
  out.legend = {l.lx, l.ly, l.legend_w, l.legend_h};
  if (chart.marker_x) {
    out.marker_px = a.px(*chart.marker_x);
  }
  return out;
}

std::string render_line_chart(const LineChart& chart, ImageFormat format) {
  const Accessible text{chart.title, describe(chart)};
  const Layout layout = layout_of(chart);
  const PlotArea& area = layout.area;
  return render(chart.width, chart.height, format, text, [&](cairo_t* cr) {
    font(cr, kTitleSize, true);
    color(cr, kBlack);
    text_at(cr, chart.title, (area.left + area.right) / 2, 24, Align::kCenter);
    draw_axes(cr, chart, area);
    if (chart.marker_x) {
      draw_marker(cr, chart, area);
    }
    draw_series(cr, chart, area);
    if (!chart.series.empty()) {
      draw_legend(cr, chart, layout);
    }
    if (!std::isfinite(area.yr.lo) || chart.series.empty()) {
      font(cr, kFontSize);
      text_at(cr, "no data", (area.left + area.right) / 2, (area.top + area.bottom) / 2,
              Align::kCenter);
    }
  });
}

std::string render_prediction(const PredictionView& view, ImageFormat format) {
  const std::size_t classes = view.probabilities.size();
  if (view.class_names.size() != classes || classes == 0) {
    throw Error(fmt::format("prediction view: {} class names for {} probabilities",
                            view.class_names.size(), classes));
  }
  if (view.label >= classes) {
    throw Error(fmt::format("prediction view: label {} of {} classes", view.label, classes));
  }
  if (view.channels < 1 ||
      static_cast<std::int64_t>(view.pixels.size()) < view.height * view.width * view.channels) {
    throw Error("prediction view: fewer pixels than height x width x channels");
  }
  const std::size_t best = static_cast<std::size_t>(
      std::max_element(view.probabilities.begin(), view.probabilities.end()) -
      view.probabilities.begin());
  const std::string headline =
      fmt::format("{}: predicted {} ({:.1f}%), label {}", view.title, view.class_names[best],
                  100 * view.probabilities[best], view.class_names[view.label]);
  std::string description = "class probabilities:";
  for (std::size_t c = 0; c < classes; ++c) {
    description += fmt::format(" {} {:.4f};", view.class_names[c], view.probabilities[c]);
  }
  const int height = std::max(340, static_cast<int>(130 + 24 * classes));
  return render(820, height, format, {headline, description}, [&](cairo_t* cr) {
    font(cr, kTitleSize, true);
    color(cr, kBlack);
    text_at(cr, headline, 410, 24, Align::kCenter);

    // The image, one rectangle per pixel: crisp at any zoom, in PNG and SVG alike.
    // Whole-pixel cells without antialiasing: no seams between neighbours.
    const double cell =
        std::max(1.0, std::floor(240.0 / static_cast<double>(std::max(view.height, view.width))));
    const double side = cell * static_cast<double>(std::max(view.height, view.width));
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    const double ix = 30, iy = 60;
    for (std::int64_t r = 0; r < view.height; ++r) {
      for (std::int64_t c = 0; c < view.width; ++c) {
        const auto at = static_cast<std::size_t>((r * view.width + c) * view.channels);
        const double v = view.pixels[at] / 255.0;
        if (view.channels >= 3) {
          cairo_set_source_rgb(cr, v, view.pixels[at + 1] / 255.0, view.pixels[at + 2] / 255.0);
        } else {
          cairo_set_source_rgb(cr, v, v, v);
        }
        cairo_rectangle(cr, ix + static_cast<double>(c) * cell, iy + static_cast<double>(r) * cell,
                        cell, cell);
        cairo_fill(cr);
      }
    }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);

    // Bars: the true class blue, a wrong prediction red, the rest gray.
    font(cr, kFontSize);
    double name_w = 0;
    for (const auto& n : view.class_names) {
      name_w = std::max(name_w, text_width(cr, n));
    }
    const double bx = ix + side + 40 + name_w + 10, bw = 820 - bx - 80;
    const double row = 24, by = 60;
    for (std::size_t c = 0; c < classes; ++c) {
      const double y = by + row * static_cast<double>(c);
      color(cr, kBlack);
      font(cr, kFontSize, c == best);
      text_at(cr, view.class_names[c], bx - 10, y + row / 2, Align::kRight);
      const Rgb fill = c == view.label ? kPalette[0] : c == best ? kPalette[3] : Rgb{0.7, 0.7, 0.7};
      color(cr, fill);
      const double p = std::clamp(view.probabilities[c], 0.0, 1.0);
      cairo_rectangle(cr, bx, y + 4, std::max(p * bw, 1.0), row - 8);
      cairo_fill(cr);
      color(cr, kBlack);
      font(cr, kFontSize - 2);
      text_at(cr, fmt::format("{:.1f}%", 100 * p), bx + p * bw + 6, y + row / 2, Align::kLeft);
    }
    const double axis_y = by + row * static_cast<double>(classes) + 6;
    cairo_set_line_width(cr, 1);
    color(cr, kBlack);
    line(cr, bx, axis_y, bx + bw, axis_y);
    font(cr, kFontSize - 2);
    for (double t : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      line(cr, bx + t * bw, axis_y, bx + t * bw, axis_y + 4);
      text_at(cr, fmt::format("{:g}", t), bx + t * bw, axis_y + 14, Align::kCenter);
    }
    font(cr, kFontSize);
    text_at(cr, "probability", bx + bw / 2, axis_y + 34, Align::kCenter);
  });
}

std::string render_heat_map(const HeatMap& map, ImageFormat format) {
  const std::size_t rows = map.rows.size(), cols = map.columns.size();
  if (map.values.size() != rows) {
    throw Error("heat map: one value row per row label is required");
  }
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::size_t best_r = rows, best_c = cols;
  for (std::size_t r = 0; r < rows; ++r) {
    if (map.values[r].size() != cols) {
      throw Error("heat map: one value per column label is required");
    }
    for (std::size_t c = 0; c < cols; ++c) {
      const double v = map.values[r][c];
      if (!std::isfinite(v)) {
        continue;
      }
      const bool better = best_r == rows || (map.lower_is_better ? v < map.values[best_r][best_c]
                                                                 : v > map.values[best_r][best_c]);
      if (better) {
        best_r = r;
        best_c = c;
      }
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  std::string description = fmt::format("rows: {}; columns: {};", map.row_label, map.column_label);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      description +=
          fmt::format(" [{} | {}] {:.4f};", map.rows[r], map.columns[c], map.values[r][c]);
    }
  }
  // Size the canvas by the labels.
  std::vector<std::string> labels = map.rows;
  labels.push_back(map.row_label);
  const double row_w = widest_text(labels);
  const double cell_w = 120, cell_h = 44;
  const double left = 30 + row_w + 16, top = 84;
  const int width =
      static_cast<int>(std::max(left + cell_w * static_cast<double>(cols) + 40, 520.0));
  const int height = static_cast<int>(top + cell_h * static_cast<double>(rows) + 64);
  return render(width, height, format, {map.title, description}, [&](cairo_t* cr) {
    font(cr, kTitleSize, true);
    color(cr, kBlack);
    text_at(cr, map.title, width / 2.0, 24, Align::kCenter);
    font(cr, kFontSize - 1);
    text_at(cr,
            map.lower_is_better ? "lower is better; brighter = better; best outlined"
                                : "higher is better; brighter = better; best outlined",
            width / 2.0, 46, Align::kCenter);
    for (std::size_t r = 0; r < rows; ++r) {
      const double y = top + cell_h * static_cast<double>(r);
      font(cr, kFontSize);
      color(cr, kBlack);
      text_at(cr, map.rows[r], left - 10, y + cell_h / 2, Align::kRight);
      for (std::size_t c = 0; c < cols; ++c) {
        const double x = left + cell_w * static_cast<double>(c);
        const double v = map.values[r][c];
        double t = 0.5;
        if (hi > lo && std::isfinite(v)) {
          t = (v - lo) / (hi - lo);
          if (map.lower_is_better) {
            t = 1 - t;
          }
        }
        const Rgb fill = std::isfinite(v) ? viridis(t) : Rgb{0.92, 0.92, 0.92};
        color(cr, fill);
        cairo_rectangle(cr, x, y, cell_w, cell_h);
        cairo_fill(cr);
        const double luminance = 0.299 * fill.r + 0.587 * fill.g + 0.114 * fill.b;
        if (luminance > 0.55) {
          color(cr, kBlack);
        } else {
          cairo_set_source_rgb(cr, 1, 1, 1);
        }
        text_at(cr, std::isfinite(v) ? fmt::format("{:.4f}", v) : "-", x + cell_w / 2,
                y + cell_h / 2, Align::kCenter);
      }
    }
    if (best_r < rows) {
      color(cr, kBlack);
      cairo_set_line_width(cr, 3);
      cairo_rectangle(cr, left + cell_w * static_cast<double>(best_c) + 1.5,
                      top + cell_h * static_cast<double>(best_r) + 1.5, cell_w - 3, cell_h - 3);
      cairo_stroke(cr);
    }
    const double grid_bottom = top + cell_h * static_cast<double>(rows);
    font(cr, kFontSize);
    color(cr, kBlack);
    for (std::size_t c = 0; c < cols; ++c) {
      text_at(cr, map.columns[c], left + cell_w * (static_cast<double>(c) + 0.5), grid_bottom + 16,
              Align::kCenter);
    }
    text_at(cr, map.column_label, left + cell_w * static_cast<double>(cols) / 2, grid_bottom + 44,
            Align::kCenter);
    font(cr, kFontSize, true);
    text_at(cr, map.row_label, left - 10, top - 14, Align::kRight);
  });
}

std::string render_confusion_matrix(const ConfusionView& view, ImageFormat format) {
  const std::size_t k = view.class_names.size();
  std::string description = "rows: true class; columns: predicted class;";
  for (std::size_t t = 0; t < k; ++t) {
    for (std::size_t p = 0; p < k; ++p) {
      description += fmt::format(" [{} | {}] {};", view.class_names[t], view.class_names[p],
                                 view.counts[t * k + p]);
    }
  }
  const double names_w = widest_text(view.class_names);
  const double cell = 48;
  const double left = 40 + names_w + 12;
  const double top = 60 + names_w + 12;  // column names are written upwards
  const int width = static_cast<int>(std::max(left + cell * static_cast<double>(k) + 30, 420.0));
  const int height = static_cast<int>(top + cell * static_cast<double>(k) + 40);
  return render(width, height, format, {view.title, description}, [&](cairo_t* cr) {
    font(cr, kTitleSize, true);
    color(cr, kBlack);
    text_at(cr, view.title, width / 2.0, 24, Align::kCenter);
    font(cr, kFontSize - 1);
    text_at(cr, "rows: true class, columns: predicted; shade: share of the row", width / 2.0, 44,
            Align::kCenter);
    font(cr, kFontSize);
    for (std::size_t t = 0; t < k; ++t) {
      std::int64_t row_total = 0;
      for (std::size_t p = 0; p < k; ++p) {
        row_total += view.counts[t * k + p];
      }
      const double y = top + cell * static_cast<double>(t);
      color(cr, kBlack);
      text_at(cr, view.class_names[t], left - 10, y + cell / 2, Align::kRight);
      for (std::size_t p = 0; p < k; ++p) {
        const double x = left + cell * static_cast<double>(p);
        const std::int64_t n = view.counts[t * k + p];
        const double share =
            row_total > 0 ? static_cast<double>(n) / static_cast<double>(row_total) : 0.0;
        // White to tab10's blue; the diagonal in it, mistakes in orange.
        const Rgb tint = t == p ? kPalette[0] : kPalette[1];
        cairo_set_source_rgb(cr, 1 - share * (1 - tint.r), 1 - share * (1 - tint.g),
                             1 - share * (1 - tint.b));
        cairo_rectangle(cr, x, y, cell, cell);
        cairo_fill(cr);
        color(cr, kGrid);
        cairo_set_line_width(cr, 1);
        cairo_rectangle(cr, x, y, cell, cell);
        cairo_stroke(cr);
        if (share > 0.6) {
          cairo_set_source_rgb(cr, 1, 1, 1);
        } else {
          color(cr, kBlack);
        }
        text_at(cr, std::to_string(n), x + cell / 2, y + cell / 2, Align::kCenter);
      }
    }
    color(cr, kBlack);
    for (std::size_t p = 0; p < k; ++p) {
      cairo_save(cr);
      cairo_translate(cr, left + cell * (static_cast<double>(p) + 0.5), top - 10);
      cairo_rotate(cr, -M_PI / 2);
      text_at(cr, view.class_names[p], 0, 0, Align::kLeft);
      cairo_restore(cr);
    }
  });
}

}  // namespace runner::plot
