// Keras' regression metrics: mean_absolute_error (mae), mean_squared_error (mse) and
// root_mean_squared_error (RootMeanSquaredError), over every output of every sample.
#include <cmath>

#include "framework/nn/metrics/metric.hpp"

namespace runner {

namespace {

enum class Error { kAbsolute, kSquared, kRootSquared };

template <const char* kName, Error kError>
class RegressionError final : public Metric {
 public:
  static const Schema& schema() {
    static const Schema s =
        metric_schema(kName, kError == Error::kAbsolute  ? "mean of |y - p| over every output"
                             : kError == Error::kSquared ? "mean of (y - p)^2 over every output"
                                                         : "square root of the mean of (y - p)^2");
    return s;
  }
  static std::unique_ptr<Metric> create(const Params& p) {
    auto m = std::make_unique<RegressionError>();
    m->init(p);
    return m;
  }
  [[nodiscard]] std::string_view type() const override { return kName; }
  [[nodiscard]] bool for_classification() const override { return false; }
  [[nodiscard]] std::size_t state_size() const override { return 2; }
  void update(const Tensor& p, const Targets& y, LossTargets /*task*/,
              std::span<double> state) const override {
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double e = static_cast<double>(p[i]) - static_cast<double>(y.values[i]);
      state[0] += kError == Error::kAbsolute ? std::abs(e) : e * e;
    }
    state[1] += static_cast<double>(p.size());
  }
  [[nodiscard]] double result(std::span<const double> state) const override {
    const double mean = state[1] > 0 ? state[0] / state[1] : 0.0;
    return kError == Error::kRootSquared ? std::sqrt(mean) : mean;
  }
  // Keras writes the function's own name for its aliases ('mae' -> mean_absolute_error); it
  // has no root_mean_squared_error function, only the RootMeanSquaredError class.
  [[nodiscard]] YAML::Node keras_config(LossTargets /*task*/) const override {
    switch (kError) {
      case Error::kAbsolute:
        return keras_function("mean_absolute_error");
      case Error::kSquared:
        return keras_function("mean_squared_error");
      default:
        return keras_object("RootMeanSquaredError");
    }
  }
};

constexpr char kMae[] = "mean_absolute_error";
constexpr char kMaeShort[] = "mae";
constexpr char kMse[] = "mean_squared_error";
constexpr char kMseShort[] = "mse";
constexpr char kRmse[] = "root_mean_squared_error";
constexpr char kRmseShort[] = "rmse";
using Mae = RegressionError<kMae, Error::kAbsolute>;
using MaeShort = RegressionError<kMaeShort, Error::kAbsolute>;
using Mse = RegressionError<kMse, Error::kSquared>;
using MseShort = RegressionError<kMseShort, Error::kSquared>;
using Rmse = RegressionError<kRmse, Error::kRootSquared>;
using RmseShort = RegressionError<kRmseShort, Error::kRootSquared>;

}  // namespace
RUNNER_REGISTER_METRIC(Mae);
RUNNER_REGISTER_METRIC(MaeShort);
RUNNER_REGISTER_METRIC(Mse);
RUNNER_REGISTER_METRIC(MseShort);
RUNNER_REGISTER_METRIC(Rmse);
RUNNER_REGISTER_METRIC(RmseShort);

}  // namespace runner
