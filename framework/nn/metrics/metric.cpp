#include "framework/nn/metrics/metric.hpp"

#include <algorithm>

namespace runner {

MetricRegistry& metric_registry() {
  static MetricRegistry registry("metric");
  return registry;
}

void Metric::init(const Params& p) {
  config_ = p.resolved();
  const std::string name = p.text("name");
  name_ = name.empty() ? std::string(type()) : name;
}

YAML::Node Metric::keras_object(const std::string& class_name) const {
  YAML::Node node;
  node["class_name"] = class_name;
  node["config"]["name"] = name_;
  node["config"]["dtype"] = "float32";
  return node;
}

YAML::Node Metric::keras_function(const std::string& fn) const {
  YAML::Node node = keras_object("MeanMetricWrapper");
  node["config"]["fn"] = fn;
  return node;
}

YAML::Node Metric::keras_config(LossTargets /*task*/) const {
  return keras_function(std::string(type()));
}

Schema metric_schema(std::string type, std::string summary) {
  return Schema(std::move(type), std::move(summary))
      .text("name", "the key in logs and history (default: the type)", std::string());
}

std::size_t argmax(std::span<const float> row) {
  return static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

}  // namespace runner
