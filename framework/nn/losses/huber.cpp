// Keras' loss='huber' (Huber(delta)): squared error near zero, linear beyond delta.
#include <cmath>

#include "framework/nn/losses/elementwise.hpp"
#include "framework/nn/losses/loss.hpp"

namespace runner {

namespace {

class Huber final : public Loss {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("huber",
               "regression: 0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) beyond, averaged "
               "over the outputs")
            .real("delta", "where the loss turns from quadratic to linear", 1.0)
            .above(0)
            .keras_class("Huber");
    return s;
  }
  static std::unique_ptr<Loss> create(const Params& p) {
    auto loss = std::make_unique<Huber>();
    loss->delta_ = static_cast<float>(p.real("delta"));
    loss->config_ = p.resolved();
    return loss;
  }
  [[nodiscard]] std::string_view type() const override { return "huber"; }
  [[nodiscard]] LossTargets targets() const override { return LossTargets::kValue; }
  double compute(const Tensor& output, const Targets& y, bool /*softmax_folded*/, Tensor* grad,
                 std::int64_t mean_over) const override {
    const float delta = delta_;
    return elementwise_loss(output, y, grad, mean_over, [delta](float p, float t) {
      const float e = p - t;
      const float a = std::abs(e);
      if (a <= delta) {
        return LossTerm{0.5 * static_cast<double>(e) * e, e};
      }
      return LossTerm{static_cast<double>(delta) * a - 0.5 * static_cast<double>(delta) * delta,
                      e > 0 ? delta : -delta};
    });
  }

 private:
  float delta_ = 1.0F;
};

}  // namespace
RUNNER_REGISTER_LOSS(Huber);

}  // namespace runner
