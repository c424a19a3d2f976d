// Keras' top_k_categorical_accuracy (label rows) and sparse_top_k_categorical_accuracy (class
// indices): the label is among the k highest outputs (tf.math.in_top_k: ties at the boundary
// count as inside).
#include "framework/nn/metrics/metric.hpp"

namespace runner {

namespace {

template <const char* kName, bool kSparse>
class TopKAccuracy final : public Metric {
 public:
  static const Schema& schema() {
    static const Schema s =
        metric_schema(kName, kSparse ? "fraction of samples whose class label is among the k "
                                       "highest outputs"
                                     : "fraction of samples whose label row's class is among "
                                       "the k highest outputs")
            .integer("k", "how many of the highest outputs count", 5)
            .at_least(1);
    return s;
  }
  static std::unique_ptr<Metric> create(const Params& p) {
    auto m = std::make_unique<TopKAccuracy>();
    m->init(p);
    m->k_ = p.integer("k");
    return m;
  }
  [[nodiscard]] std::string_view type() const override { return kName; }
  [[nodiscard]] std::size_t state_size() const override { return 2; }
  void update(const Tensor& p, const Targets& y, LossTargets /*task*/,
              std::span<double> state) const override {
    const std::size_t width = p.sample_size();
    for (std::int64_t n = 0; n < p.batch(); ++n) {
      const auto row = static_cast<std::size_t>(n) * width;
      const std::size_t truth =
          kSparse || !y.has_values()
              ? static_cast<std::size_t>(y.classes[static_cast<std::size_t>(n)])
              : argmax(y.values.span().subspan(row, width));
      const float target = p[row + truth];
      std::int64_t above = 0;
      for (std::size_t c = 0; c < width; ++c) {
        above += p[row + c] > target ? 1 : 0;
      }
      state[0] += above < k_ ? 1 : 0;
    }
    state[1] += static_cast<double>(p.batch());
  }
  [[nodiscard]] double result(std::span<const double> state) const override {
    return state[1] > 0 ? state[0] / state[1] : 0.0;
  }
  // The function takes Keras' default k = 5; another k is the class's.
  [[nodiscard]] YAML::Node keras_config(LossTargets /*task*/) const override {
    if (k_ == 5) {
      return keras_function(kName);
    }
    YAML::Node node =
        keras_object(kSparse ? "SparseTopKCategoricalAccuracy" : "TopKCategoricalAccuracy");
    node["config"]["k"] = k_;
    return node;
  }

 private:
  std::int64_t k_ = 5;
};

constexpr char kTopK[] = "top_k_categorical_accuracy";
constexpr char kSparseTopK[] = "sparse_top_k_categorical_accuracy";
using TopK = TopKAccuracy<kTopK, false>;
using SparseTopK = TopKAccuracy<kSparseTopK, true>;

}  // namespace
RUNNER_REGISTER_METRIC(TopK);
RUNNER_REGISTER_METRIC(SparseTopK);

}  // namespace runner
