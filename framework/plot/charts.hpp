#pragma once
// The charts of run folders and reports, drawn with Cairo: line charts (training curves, one
// line per trial), class-probability views of a prediction, and heat maps of a sweep's metric.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "framework/plot/figure.hpp"

namespace runner::plot {

struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;  // NaN leaves a gap
  bool dashed = false;
  bool points_only = false;  // markers without a line (one value per trial)
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  bool integer_x = true;           // epochs
  std::optional<double> marker_x;  // a vertical line (the best epoch)
  std::string marker_label;        // "best epoch 11"
  int width = 800, height = 480;
};
std::string render_line_chart(const LineChart& chart, ImageFormat format);

// Where render_line_chart draws the plot area, the legend and the marker line (pixels).
struct Box {
  double x = 0, y = 0, width = 0, height = 0;
};
struct LineChartLayout {
  Box plot;
  Box legend;
  std::optional<double> marker_px;
};
LineChartLayout line_chart_layout(const LineChart& chart);

// One image and the model's class probabilities for it.
struct PredictionView {
  std::string title;                                 // "test[0]"
  std::int64_t height = 0, width = 0, channels = 1;  // the image, 8-bit, row-major HWC
  std::vector<std::uint8_t> pixels;
  std::vector<std::string> class_names;
  std::vector<double> probabilities;
  std::size_t label = 0;  // the true class
};
std::string render_prediction(const PredictionView& view, ImageFormat format);

// A metric over a grid: rows x columns cells, NaN where no run exists.
struct HeatMap {
  std::string title;
  std::string row_label;  // what the rows vary ("conv2d.filters / conv2d_1.filters")
  std::string column_label;
  std::vector<std::string> rows;
  std::vector<std::string> columns;
  std::vector<std::vector<double>> values;  // [row][column]
  bool lower_is_better = true;
};
std::string render_heat_map(const HeatMap& map, ImageFormat format);

// A classifier's confusion matrix: counts [true class][predicted class], each cell shaded by its
// share of the true class's samples.
struct ConfusionView {
  std::string title;  // "Confusion matrix: test"
  std::vector<std::string> class_names;
  std::vector<std::int64_t> counts;  // row-major, classes x classes
};
std::string render_confusion_matrix(const ConfusionView& view, ImageFormat format);

// Axis ticks: about `target` round numbers covering [lo, hi] (exposed for tests).
std::vector<double> nice_ticks(double lo, double hi, int target);

}  // namespace runner::plot
