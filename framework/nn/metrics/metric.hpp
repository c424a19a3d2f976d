#pragma once
// The metric contract and registry (the YAML `compile.metrics`). A metric keeps running sums
// (its state: plain numbers, so data-parallel ranks add theirs up and a saved training state
// restores them) and turns them into its value. Each file in framework/nn/metrics/ registers
// its metrics with RUNNER_REGISTER_METRIC, so adding one is one file plus its test.
#include <yaml-cpp/yaml.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "framework/core/registry.hpp"
#include "framework/core/targets.hpp"
#include "framework/core/tensor.hpp"
#include "framework/nn/losses/loss.hpp"

namespace runner {

class Metric {
 public:
  virtual ~Metric() = default;
  [[nodiscard]] virtual std::string_view type() const = 0;
  // The key in logs and history (Keras' metric name; `name:` overrides it).
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] virtual std::size_t state_size() const = 0;
  // Adds a batch: `outputs` as probabilities (Loss::to_probabilities) or regression values,
  // `task` what the loss compares them with.
  virtual void update(const Tensor& outputs, const Targets& y, LossTargets task,
                      std::span<double> state) const = 0;
  [[nodiscard]] virtual double result(std::span<const double> state) const = 0;
  // True for metrics of classes (accuracy, AUC, ...), false for regression errors.
  [[nodiscard]] virtual bool for_classification() const { return true; }
  [[nodiscard]] YAML::Node config() const { return YAML::Clone(config_); }
  // The metric as Keras 2.11 writes it in a checkpoint's training_config, so that its
  // load_model() deserializes it: a metric compiled from a string is the MeanMetricWrapper of
  // Keras' function (this default, with the type as the function), a metric class its class
  // and get_config().
  [[nodiscard]] virtual YAML::Node keras_config(LossTargets task) const;

 protected:
  // Every metric schema declares `name`: reads it (default: the type) and the resolved config.
  void init(const Params& p);
  // {class_name, config: {name, dtype: float32}} to add a class's own keys to.
  [[nodiscard]] YAML::Node keras_object(const std::string& class_name) const;
  // A MeanMetricWrapper of Keras' function `fn` (its keyword arguments added to config).
  [[nodiscard]] YAML::Node keras_function(const std::string& fn) const;

  std::string name_;
  YAML::Node config_;
};

using MetricRegistry = Registry<Metric>;
MetricRegistry& metric_registry();

// The `name` parameter every metric schema declares (the log key; default: the type).
Schema metric_schema(std::string type, std::string summary);

// Index of the first maximum of one row (NumPy's argmax).
std::size_t argmax(std::span<const float> row);

}  // namespace runner

#define RUNNER_REGISTER_METRIC(Class)                                   \
  [[maybe_unused]] static const bool runner_registered_metric_##Class = \
      (::runner::metric_registry().add(Class::schema(), &Class::create), true)
