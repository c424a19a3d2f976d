#include "framework/plot/run_plots.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "framework/plot/model_diagram.hpp"

namespace runner::plot {

std::int64_t best_epoch(const History& history) {
  bool validated = false;
  for (const auto& r : history.epochs()) {
    validated = validated || r.logs.get("val_loss").has_value();
  }
  const std::string monitor = validated ? "val_loss" : "loss";
  std::int64_t best = 0;
  double best_value = std::numeric_limits<double>::infinity();
  for (const auto& r : history.epochs()) {
    if (const auto v = r.logs.get(monitor); v && *v < best_value) {
      best_value = *v;
      best = r.epoch;
    }
  }
  return best;
}

LineChart history_chart(const History& history, const std::string& metric) {
  LineChart chart;
  chart.title = fmt::format("Training and validation {}", metric);
  chart.x_label = "epoch";
  chart.y_label = metric;
  for (const auto& [key, name] : {std::pair{metric, "training " + metric},
                                  std::pair{"val_" + metric, "validation " + metric}}) {
    Series s{name, {}, {}, false};
    bool any = false;
    for (const auto& r : history.epochs()) {
      const auto v = r.logs.get(key);
      s.x.push_back(static_cast<double>(r.epoch));
      s.y.push_back(v.value_or(std::numeric_limits<double>::quiet_NaN()));
      any = any || v.has_value();
    }
    if (any) {
      chart.series.push_back(std::move(s));
    }
  }
  if (const auto best = best_epoch(history); best > 0) {
    chart.marker_x = static_cast<double>(best);
    chart.marker_label = fmt::format("best epoch {}", best);
  }
  return chart;
}

std::vector<std::string> charted_metrics(const History& history) {
  std::vector<std::string> out;
  for (const auto& name : history.metric_names()) {
    if (!name.starts_with("val_") && name != "learning_rate" && name != "lr") {
      out.push_back(name);
    }
  }
  if (out.empty()) {
    out.emplace_back("loss");  // an empty history still gets its (empty) loss chart
  }
  return out;
}

Pictures history_charts(const History& history) {
  Pictures pictures;
  for (const auto& metric : charted_metrics(history)) {
    pictures.emplace_back(fmt::format("{}.png", metric),
                          render_line_chart(history_chart(history, metric), ImageFormat::kPng));
  }
  return pictures;
}

Pictures model_diagrams(const Model& model, const std::string& model_name) {
  const std::string dot = model_dot(model, {true, model_name});
  Pictures pictures;
  for (const char* format : {"png", "svg"}) {
    pictures.emplace_back(fmt::format("model.{}", format), render_dot(dot, format));
  }
  return pictures;
}

std::string prediction_file_name(const std::string& split, std::int64_t index) {
  return fmt::format("prediction-{}-{}.png", split, index);
}

bool drawable_as_image(const Samples& set) {
  const Shape& s = set.sample_shape();
  return set.x.type() == ElementType::kUint8 && s.rank() == 3 && (s[2] == 1 || s[2] == 3) &&
         set.has_classes();
}

PredictionView prediction_view(const Samples& set, std::int64_t image, const std::string& title,
                               const std::vector<std::string>& class_names,
                               const std::vector<float>& probabilities) {
  PredictionView view;
  view.title = title;
  const Shape& shape = set.sample_shape();
  view.height = shape[0];
  view.width = shape[1];
  view.channels = shape[2];
  const std::uint8_t* begin = set.x.bytes(image);
  view.pixels.assign(begin, begin + set.x.sample_size());
  view.class_names = class_names;
  view.probabilities.assign(probabilities.begin(), probabilities.end());
  view.label = static_cast<std::size_t>(set.classes[static_cast<std::size_t>(image)]);
  return view;
}

}  // namespace runner::plot
