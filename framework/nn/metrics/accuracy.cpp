// Keras' accuracy metrics. `accuracy` (or `acc`) is what Keras resolves the string to for the
// loss: binary_accuracy for one output or binary_crossentropy, categorical_accuracy for label
// rows, sparse_categorical_accuracy for class indices.
#include "framework/nn/metrics/metric.hpp"

namespace runner {

namespace {

enum class Kind { kResolved, kBinary, kCategorical, kSparse };

// Fraction of outputs above the threshold that match their 0/1 target, per sample averaged.
double binary_hits(const Tensor& p, const Targets& y, double threshold) {
  const std::size_t width = p.sample_size();
  const bool values = y.has_values();
  double hits = 0;
  for (std::int64_t n = 0; n < p.batch(); ++n) {
    double row = 0;
    for (std::size_t j = 0; j < width; ++j) {
      const std::size_t i = static_cast<std::size_t>(n) * width + j;
      const float target = values ? y.values[i] : static_cast<float>(y.classes[i]);
      row += (p[i] > threshold ? 1.0F : 0.0F) == target ? 1 : 0;
    }
    hits += row / static_cast<double>(width);
  }
  return hits;
}

double argmax_hits(const Tensor& p, const Targets& y, bool sparse) {
  const std::size_t width = p.sample_size();
  double hits = 0;
  for (std::int64_t n = 0; n < p.batch(); ++n) {
    const auto row = static_cast<std::size_t>(n) * width;
    const std::size_t predicted = argmax(p.span().subspan(row, width));
    const std::size_t truth = sparse
                                  ? static_cast<std::size_t>(y.classes[static_cast<std::size_t>(n)])
                                  : argmax(y.values.span().subspan(row, width));
    hits += predicted == truth ? 1 : 0;
  }
  return hits;
}

template <const char* kName, Kind kKind>
class Accuracy final : public Metric {
 public:
  static const Schema& schema() {
    static const Schema s = metric_schema(kName, summary())
                                .real("threshold",
                                      "binary: an output above it "
                                      "predicts 1",
                                      0.5);
    return s;
  }
  static std::unique_ptr<Metric> create(const Params& p) {
    auto m = std::make_unique<Accuracy>();
    m->init(p);
    m->threshold_ = p.real("threshold");
    return m;
  }
  [[nodiscard]] std::string_view type() const override { return kName; }
  [[nodiscard]] std::size_t state_size() const override { return 2; }
  void update(const Tensor& p, const Targets& y, LossTargets task,
              std::span<double> state) const override {
    Kind kind = kKind;
    if (kind == Kind::kResolved) {
      if (task == LossTargets::kBinary || p.sample_size() == 1) {
        kind = Kind::kBinary;
      } else {
        kind = task == LossTargets::kClassIndex || !y.has_values() ? Kind::kSparse
                                                                   : Kind::kCategorical;
      }
    }
    state[0] += kind == Kind::kBinary ? binary_hits(p, y, threshold_)
                                      : argmax_hits(p, y, kind == Kind::kSparse);
    state[1] += static_cast<double>(p.batch());
  }
  [[nodiscard]] double result(std::span<const double> state) const override {
    return state[1] > 0 ? state[0] / state[1] : 0.0;
  }
  // Keras resolves 'accuracy' by the loss: binary, categorical or sparse categorical. A binary
  // threshold other than 0.5 is the BinaryAccuracy class's (the function's default is 0.5).
  [[nodiscard]] YAML::Node keras_config(LossTargets task) const override {
    const bool binary =
        kKind == Kind::kBinary || (kKind == Kind::kResolved && task == LossTargets::kBinary);
    if (binary) {
      if (threshold_ != 0.5) {
        YAML::Node node = keras_object("BinaryAccuracy");
        node["config"]["threshold"] = threshold_;
        return node;
      }
      return keras_function("binary_accuracy");
    }
    const bool categorical = kKind == Kind::kCategorical ||
                             (kKind == Kind::kResolved && task == LossTargets::kDistribution);
    return keras_function(categorical ? "categorical_accuracy" : "sparse_categorical_accuracy");
  }

 private:
  static const char* summary() {
    switch (kKind) {
      case Kind::kBinary:
        return "fraction of outputs on the right side of the threshold (0/1 targets)";
      case Kind::kCategorical:
        return "fraction of samples whose highest output is the label row's highest";
      case Kind::kSparse:
        return "fraction of samples whose highest output is the class label";
      default:
        return "Keras' accuracy for the loss: binary, categorical or sparse categorical";
    }
  }
  double threshold_ = 0.5;
};

constexpr char kAccuracy[] = "accuracy";
constexpr char kAcc[] = "acc";
constexpr char kBinary[] = "binary_accuracy";
constexpr char kCategorical[] = "categorical_accuracy";
constexpr char kSparse[] = "sparse_categorical_accuracy";
using AccuracyMetric = Accuracy<kAccuracy, Kind::kResolved>;
using AccMetric = Accuracy<kAcc, Kind::kResolved>;
using BinaryAccuracy = Accuracy<kBinary, Kind::kBinary>;
using CategoricalAccuracy = Accuracy<kCategorical, Kind::kCategorical>;
using SparseCategoricalAccuracy = Accuracy<kSparse, Kind::kSparse>;

}  // namespace
RUNNER_REGISTER_METRIC(AccuracyMetric);
RUNNER_REGISTER_METRIC(AccMetric);
RUNNER_REGISTER_METRIC(BinaryAccuracy);
RUNNER_REGISTER_METRIC(CategoricalAccuracy);
RUNNER_REGISTER_METRIC(SparseCategoricalAccuracy);

}  // namespace runner
