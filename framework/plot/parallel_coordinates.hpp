#pragma once
// A sweep's trials as lines across one vertical axis per parameter and a last one for the
// metric, coloured by the metric (best on top, in yellow): which settings the good trials share.
#include <string>
#include <vector>

#include "framework/plot/figure.hpp"

namespace runner::plot {

struct ParallelAxis {
  std::string name;
  std::vector<std::string> categories;  // the values of a choice, in order; empty: a number axis
  bool log = false;                     // a number axis on a log scale
};

struct ParallelCoordinates {
  std::string title;
  std::vector<ParallelAxis> axes;  // the last one is the metric
  // lines[t][a]: trial t on axis a (a category's index, or the number; NaN where the parameter
  // does not apply); the metric is lines[t].back().
  std::vector<std::vector<double>> lines;
  bool lower_is_better = true;
  int width = 1100, height = 460;
};
std::string render_parallel_coordinates(const ParallelCoordinates& chart, ImageFormat format);

}  // namespace runner::plot
