#include "framework/plot/drawing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace runner::plot {

void color(cairo_t* cr, Rgb c) {
  cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

void font(cairo_t* cr, double size, bool bold) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& text) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, text.c_str(), &e);
  return e.x_advance;
}

void text_at(cairo_t* cr, const std::string& text, double x, double y, Align align) {
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  const double w = text_width(cr, text);
  const double left = align == Align::kLeft ? x : align == Align::kCenter ? x - w / 2 : x - w;
  cairo_move_to(cr, left, y + (fe.ascent - fe.descent) / 2);
  cairo_show_text(cr, text.c_str());
}

double widest_text(const std::vector<std::string>& texts) {
  cairo_surface_t* scratch = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t* cr = cairo_create(scratch);
  font(cr, kFontSize);
  double widest = 0;
  for (const auto& t : texts) {
    widest = std::max(widest, text_width(cr, t));
  }
  cairo_destroy(cr);
  cairo_surface_destroy(scratch);
  return widest;
}

void line(cairo_t* cr, double x0, double y0, double x1, double y1) {
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
}

int decimals_of(double step) {
  for (int d = 0; d < 8; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * std::max(1.0, scaled)) {
      return d;
    }
  }
  return 8;
}

std::string tick_label(double v, int decimals) {
  if (std::abs(v) < 1e-12) {
    v = 0;  // no "-0.00"
  }
  return fmt::format("{:.{}f}", v, decimals);
}

Rgb viridis(double t) {
  static constexpr std::array<Rgb, 5> stops = {{{0.267, 0.005, 0.329},
                                                {0.231, 0.322, 0.545},
                                                {0.129, 0.569, 0.549},
                                                {0.369, 0.788, 0.384},
                                                {0.992, 0.906, 0.145}}};
  t = std::clamp(t, 0.0, 1.0) * (stops.size() - 1);
  const auto i = std::min(static_cast<std::size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  const Rgb a = stops[i], b = stops[i + 1];
  return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

}  // namespace runner::plot
