// Keras' loss='mean_absolute_error' (or 'mae'): mean over the outputs of |y - p|.
#include "framework/nn/losses/elementwise.hpp"
#include "framework/nn/losses/loss.hpp"

namespace runner {

namespace {

template <const char* kName>
class MeanAbsoluteError final : public Loss {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema(kName, "regression: mean over the outputs of the absolute error |y - p|")
            .keras_class("MeanAbsoluteError");
    return s;
  }
  static std::unique_ptr<Loss> create(const Params& p) {
    auto loss = std::make_unique<MeanAbsoluteError>();
    loss->config_ = p.resolved();
    return loss;
  }
  [[nodiscard]] std::string_view type() const override { return kName; }
  [[nodiscard]] LossTargets targets() const override { return LossTargets::kValue; }
  double compute(const Tensor& output, const Targets& y, bool /*softmax_folded*/, Tensor* grad,
                 std::int64_t mean_over) const override {
    return elementwise_loss(output, y, grad, mean_over, [](float p, float t) {
      const float e = p - t;
      // TensorFlow's gradient of |e| is sign(e), 0 at 0.
      return LossTerm{std::abs(static_cast<double>(e)), static_cast<float>((e > 0) - (e < 0))};
    });
  }
};

constexpr char kMae[] = "mean_absolute_error";
constexpr char kMaeShort[] = "mae";
using Mae = MeanAbsoluteError<kMae>;
using MaeShort = MeanAbsoluteError<kMaeShort>;

}  // namespace
RUNNER_REGISTER_LOSS(Mae);
RUNNER_REGISTER_LOSS(MaeShort);

}  // namespace runner
