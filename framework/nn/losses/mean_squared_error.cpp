// Keras' loss='mean_squared_error' (or 'mse'): mean over the outputs of (y - p)^2.
#include "framework/nn/losses/elementwise.hpp"
#include "framework/nn/losses/loss.hpp"

namespace runner {

namespace {

template <const char* kName>
class MeanSquaredError final : public Loss {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema(kName, "regression: mean over the outputs of the squared error (y - p)^2")
            .keras_class("MeanSquaredError");
    return s;
  }
  static std::unique_ptr<Loss> create(const Params& p) {
    auto loss = std::make_unique<MeanSquaredError>();
    loss->config_ = p.resolved();
    return loss;
  }
  [[nodiscard]] std::string_view type() const override { return kName; }
  [[nodiscard]] LossTargets targets() const override { return LossTargets::kValue; }
  double compute(const Tensor& output, const Targets& y, bool /*softmax_folded*/, Tensor* grad,
                 std::int64_t mean_over) const override {
    return elementwise_loss(output, y, grad, mean_over, [](float p, float t) {
      const float e = p - t;
      return LossTerm{static_cast<double>(e) * e, 2 * e};
    });
  }
};

constexpr char kMse[] = "mean_squared_error";
constexpr char kMseShort[] = "mse";
using Mse = MeanSquaredError<kMse>;
using MseShort = MeanSquaredError<kMseShort>;

}  // namespace
RUNNER_REGISTER_LOSS(Mse);
RUNNER_REGISTER_LOSS(MseShort);

}  // namespace runner
