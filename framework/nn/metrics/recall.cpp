// Keras' Recall: true positives / actual positives, an output above the threshold
// predicting positive.
#include "framework/nn/metrics/binary_outcomes.hpp"
#include "framework/nn/metrics/metric.hpp"

namespace runner {

namespace {

class Recall final : public Metric {
 public:
  static const Schema& schema() {
    static const Schema s =
        metric_schema("recall", "true positives / (true positives + false negatives)")
            .real("thresholds", "an output above it predicts positive", 0.5)
            .integer("class_id", "only this output column (default: all of them)", -1)
            .at_least(-1)
            .keras_class("Recall");
    return s;
  }
  static std::unique_ptr<Metric> create(const Params& p) {
    auto m = std::make_unique<Recall>();
    m->init(p);
    m->threshold_ = p.real("thresholds");
    m->class_id_ = p.integer("class_id");
    return m;
  }
  [[nodiscard]] std::string_view type() const override { return "recall"; }
  [[nodiscard]] std::size_t state_size() const override { return 2; }  // tp, fn
  void update(const Tensor& p, const Targets& y, LossTargets /*task*/,
              std::span<double> state) const override {
    for_each_outcome(p, y, class_id_, [&](float prediction, bool positive) {
      if (positive) {
        state[prediction > threshold_ ? 0 : 1] += 1;
      }
    });
  }
  [[nodiscard]] double result(std::span<const double> state) const override {
    const double actual = state[0] + state[1];
    return actual > 0 ? state[0] / actual : 0.0;
  }

 private:
  double threshold_ = 0.5;
  std::int64_t class_id_ = -1;
};

}  // namespace
RUNNER_REGISTER_METRIC(Recall);

}  // namespace runner
