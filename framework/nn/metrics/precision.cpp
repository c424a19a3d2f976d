// Keras' Precision: true positives / predicted positives, an output above the threshold
// predicting positive.
#include "framework/nn/metrics/binary_outcomes.hpp"
#include "framework/nn/metrics/metric.hpp"

namespace runner {

namespace {

class Precision final : public Metric {
 public:
  static const Schema& schema() {
    static const Schema s =
        metric_schema("precision", "true positives / (true + false positives)")
            .real("thresholds", "an output above it predicts positive", 0.5)
            .integer("class_id", "only this output column (default: all of them)", -1)
            .at_least(-1)
            .keras_class("Precision");
    return s;
  }
  static std::unique_ptr<Metric> create(const Params& p) {
    auto m = std::make_unique<Precision>();
    m->init(p);
    m->threshold_ = p.real("thresholds");
    m->class_id_ = p.integer("class_id");
    return m;
  }
  [[nodiscard]] std::string_view type() const override { return "precision"; }
  [[nodiscard]] std::size_t state_size() const override { return 2; }  // tp, fp
  void update(const Tensor& p, const Targets& y, LossTargets /*task*/,
              std::span<double> state) const override {
    for_each_outcome(p, y, class_id_, [&](float prediction, bool positive) {
      if (prediction > threshold_) {
        state[positive ? 0 : 1] += 1;
      }
    });
  }
  [[nodiscard]] double result(std::span<const double> state) const override {
    const double predicted = state[0] + state[1];
    return predicted > 0 ? state[0] / predicted : 0.0;
  }

 private:
  double threshold_ = 0.5;
  std::int64_t class_id_ = -1;
};

}  // namespace
RUNNER_REGISTER_METRIC(Precision);

}  // namespace runner
