// Keras' loss='mean_absolute_error' (or 'mae'): mean over the outputs of |y - p|.
#include <cmath>

#include "framework/nn/losses/elementwise.hpp"

namespace runner {

namespace {

struct AbsoluteError {
  LossTerm operator()(float p, float t) const {
    const float e = p - t;
    // TensorFlow's gradient of |e| is sign(e), 0 at 0.
    return LossTerm{std::abs(static_cast<double>(e)), static_cast<float>((e > 0) - (e < 0))};
  }
};

constexpr char kName[] = "mean_absolute_error";
constexpr char kShort[] = "mae";
constexpr char kClass[] = "MeanAbsoluteError";
constexpr char kSummary[] = "regression: mean over the outputs of the absolute error |y - p|";
using Mae = ElementwiseLoss<kName, kClass, kSummary, AbsoluteError>;
using MaeShort = ElementwiseLoss<kShort, kClass, kSummary, AbsoluteError>;

}  // namespace
RUNNER_REGISTER_LOSS(Mae);
RUNNER_REGISTER_LOSS(MaeShort);

}  // namespace runner
