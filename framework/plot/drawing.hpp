#pragma once
// Drawing helpers every chart shares: the palette, fonts, text placement, lines and ticks.
#include <cairo.h>

#include <array>
#include <string>
#include <vector>

namespace runner::plot {

struct Rgb {
  double r, g, b;
};
// Matplotlib's "tab10": distinct, readable on white, familiar to Keras users.
constexpr std::array<Rgb, 10> kPalette = {{{0.122, 0.467, 0.706},
                                           {1.000, 0.498, 0.055},
                                           {0.173, 0.627, 0.173},
                                           {0.839, 0.153, 0.157},
                                           {0.580, 0.404, 0.741},
                                           {0.549, 0.337, 0.294},
                                           {0.890, 0.467, 0.761},
                                           {0.498, 0.498, 0.498},
                                           {0.737, 0.741, 0.133},
                                           {0.090, 0.745, 0.812}}};
constexpr Rgb kBlack{0.1, 0.1, 0.1};
constexpr Rgb kGrid{0.88, 0.88, 0.88};
constexpr double kFontSize = 13;
constexpr double kTitleSize = 16;

enum class Align { kLeft, kCenter, kRight };

void color(cairo_t* cr, Rgb c);
void font(cairo_t* cr, double size, bool bold = false);
double text_width(cairo_t* cr, const std::string& text);
// Draws `text` with its vertical middle at y (in the current font).
void text_at(cairo_t* cr, const std::string& text, double x, double y, Align align);
// The widest of `texts` in the body font, measured on a scratch surface (to size a canvas).
double widest_text(const std::vector<std::string>& texts);
void line(cairo_t* cr, double x0, double y0, double x1, double y1);
// Viridis, t in [0, 1]: dark purple to yellow.
Rgb viridis(double t);
// How many decimals a tick step needs, and a tick's text with them.
int decimals_of(double step);
std::string tick_label(double v, int decimals);

}  // namespace runner::plot
