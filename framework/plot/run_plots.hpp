#pragma once
// The pictures in a run folder:
//   loss.png, accuracy.png   training vs validation per epoch, the best epoch marked
//                            (redrawn after every epoch, like history.csv)
//   model.png, model.svg     the layer graph with shapes (model_diagram.hpp)
//   prediction-<split>-<i>.png  the image and its class probabilities, per `predict:` entry
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "framework/nn/model.hpp"
#include "framework/plot/charts.hpp"
#include "framework/train/history.hpp"

namespace runner::plot {

// The epoch with the best val_loss (loss without validation); 0 for an empty history.
std::int64_t best_epoch(const History& history);

// The chart of `metric` ("loss", "accuracy") and its "val_" twin over the epochs.
LineChart history_chart(const History& history, const std::string& metric);

// Rendered pictures: file name -> bytes. Rendering (which may fail: fonts, Graphviz plugins)
// is kept apart from writing (which fails only with the disk), so callers can tell the two.
using Pictures = std::vector<std::pair<std::string, std::string>>;
// What the training curves show: loss and each metric the history logs (its val_ form drawn on
// the same chart), not the learning rate.
std::vector<std::string> charted_metrics(const History& history);
Pictures history_charts(const History& history);  // loss.png, accuracy.png, ...
Pictures model_diagrams(const Model& model, const std::string& model_name);  // model.png, .svg

std::string prediction_file_name(const std::string& split, std::int64_t index);
// True for samples a prediction picture can show: bytes of (height, width, 1 or 3) with classes.
bool drawable_as_image(const Samples& set);
PredictionView prediction_view(const Samples& set, std::int64_t image, const std::string& title,
                               const std::vector<std::string>& class_names,
                               const std::vector<float>& probabilities);

}  // namespace runner::plot
