// Keras' loss='mean_squared_error' (or 'mse'): mean over the outputs of (y - p)^2.
#include "framework/nn/losses/elementwise.hpp"

namespace runner {

namespace {

struct SquaredError {
  LossTerm operator()(float p, float t) const {
    const float e = p - t;
    return LossTerm{static_cast<double>(e) * e, 2 * e};
  }
};

constexpr char kName[] = "mean_squared_error";
constexpr char kShort[] = "mse";
constexpr char kClass[] = "MeanSquaredError";
constexpr char kSummary[] = "regression: mean over the outputs of the squared error (y - p)^2";
using Mse = ElementwiseLoss<kName, kClass, kSummary, SquaredError>;
using MseShort = ElementwiseLoss<kShort, kClass, kSummary, SquaredError>;

}  // namespace
RUNNER_REGISTER_LOSS(Mse);
RUNNER_REGISTER_LOSS(MseShort);

}  // namespace runner
