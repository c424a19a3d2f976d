#pragma once
// The (prediction, truth) pairs binary-style metrics count (AUC, precision, recall), as Keras
// flattens them, and the precision and recall metrics themselves: every output of every sample
// against its 0/1 target; class-index labels count as one-hot rows (a single output: the index
// itself).
#include <cstdint>
#include <string>

#include "framework/core/targets.hpp"
#include "framework/core/tensor.hpp"
#include "framework/nn/metrics/metric.hpp"

namespace runner {

// Calls visit(prediction, positive) for every output; `only_class` >= 0 keeps that column.
template <typename Visit>
void for_each_outcome(const Tensor& p, const Targets& y, std::int64_t only_class, Visit visit) {
  const std::size_t width = p.sample_size();
  for (std::int64_t n = 0; n < p.batch(); ++n) {
    for (std::size_t c = 0; c < width; ++c) {
      if (only_class >= 0 && static_cast<std::int64_t>(c) != only_class) {
        continue;
      }
      const std::size_t i = static_cast<std::size_t>(n) * width + c;
      bool positive = false;
      if (y.has_values()) {
        positive = y.values[i] > 0.5F;
      } else if (width == 1) {
        positive = y.classes[static_cast<std::size_t>(n)] == 1;
      } else {
        positive = y.classes[static_cast<std::size_t>(n)] == static_cast<std::int32_t>(c);
      }
      visit(p[i], positive);
    }
  }
}

// Keras' Precision (true positives / predicted positives) and Recall (true positives / actual
// positives): an output above the threshold predicts positive.
enum class Rate { kPrecision, kRecall };

template <Rate kRate>
class ThresholdRate final : public Metric {
 public:
  static constexpr const char* kType = kRate == Rate::kPrecision ? "precision" : "recall";

  static const Schema& schema() {
    static const Schema s =
        metric_schema(kType, kRate == Rate::kPrecision
                                 ? "true positives / (true + false positives)"
                                 : "true positives / (true positives + false negatives)")
            .real("thresholds", "an output above it predicts positive", 0.5)
            .integer("class_id", "only this output column (default: all of them)", -1)
            .at_least(-1)
            .keras_class(kRate == Rate::kPrecision ? "Precision" : "Recall");
    return s;
  }
  static std::unique_ptr<Metric> create(const Params& p) {
    auto m = std::make_unique<ThresholdRate>();
    m->init(p);
    m->threshold_ = p.real("thresholds");
    m->class_id_ = p.integer("class_id");
    return m;
  }
  [[nodiscard]] std::string_view type() const override { return kType; }
  // Precision: true and false positives; recall: true positives and false negatives.
  [[nodiscard]] std::size_t state_size() const override { return 2; }
  void update(const Tensor& p, const Targets& y, LossTargets /*task*/,
              std::span<double> state) const override {
    for_each_outcome(p, y, class_id_, [&](float prediction, bool positive) {
      const bool predicted = prediction > threshold_;
      if (kRate == Rate::kPrecision ? predicted : positive) {
        state[(kRate == Rate::kPrecision ? positive : predicted) ? 0 : 1] += 1;
      }
    });
  }
  [[nodiscard]] double result(std::span<const double> state) const override {
    const double total = state[0] + state[1];
    return total > 0 ? state[0] / total : 0.0;
  }
  // Keras' Precision/Recall.get_config(): class_id null for every column.
  [[nodiscard]] YAML::Node keras_config(LossTargets /*task*/) const override {
    YAML::Node node = keras_object(kRate == Rate::kPrecision ? "Precision" : "Recall");
    node["config"]["thresholds"] = threshold_;
    node["config"]["top_k"] = YAML::Node(YAML::NodeType::Null);
    node["config"]["class_id"] =
        class_id_ >= 0 ? YAML::Node(class_id_) : YAML::Node(YAML::NodeType::Null);
    return node;
  }

 private:
  double threshold_ = 0.5;
  std::int64_t class_id_ = -1;
};

}  // namespace runner
