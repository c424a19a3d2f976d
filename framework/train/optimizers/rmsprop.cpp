// RMSprop as Keras 2.11 computes it (centered=False): v = rho * v + (1 - rho) * g^2;
// w -= lr * g / sqrt(v + epsilon), with optional momentum on that increment.
#include <cmath>

#include "framework/train/optimizers/optimizer.hpp"

namespace runner {
namespace {

class RmsProp final : public Optimizer {
 public:
  static constexpr std::string_view kType = "rmsprop";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "RMSprop: steps scaled by a moving average of squared gradients")
            .real("learning_rate", "step size", 0.001)
            .above(0)
            .real("rho", "decay of the squared-gradient average", 0.9)
            .at_least(0)
            .below(1)
            .real("momentum", "momentum on the scaled step (0: none)", 0.0)
            .at_least(0)
            .at_most(1)
            .real("epsilon", "added under the square root", 1e-7)
            .above(0);
    return s;
  }

  static std::unique_ptr<Optimizer> create(const Params& p) { return std::make_unique<RmsProp>(p); }

  explicit RmsProp(const Params& p)
      : Optimizer(p),
        rho_(p.real("rho")),
        momentum_(p.real("momentum")),
        epsilon_(p.real("epsilon")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  void prepare(std::size_t size) override {
    velocity_.assign(size, 0.0F);
    momentum_buffer_.assign(momentum_ > 0 ? size : 0, 0.0F);
  }

  void apply(std::span<float> params, std::span<const float> grads) override {
    ++iterations_;
    const auto lr = static_cast<float>(learning_rate_);
    const auto rho = static_cast<float>(rho_);
    const auto mu = static_cast<float>(momentum_);
    const auto eps = static_cast<float>(epsilon_);
    float* __restrict w = params.data();
    const float* __restrict g = grads.data();
    float* __restrict v = velocity_.data();
    float* __restrict m = momentum_buffer_.data();
    const bool use_momentum = momentum_ > 0;
    for_each_chunk(params.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        v[i] = rho * v[i] + (1.0F - rho) * g[i] * g[i];
        const float increment = lr * g[i] / std::sqrt(v[i] + eps);
        if (use_momentum) {
          m[i] = mu * m[i] + increment;
          w[i] -= m[i];
        } else {
          w[i] -= increment;
        }
      }
    });
  }

  [[nodiscard]] std::vector<std::pair<std::string, std::vector<float>*>> slots() override {
    if (momentum_ > 0) {
      return {{"velocity", &velocity_}, {"momentum", &momentum_buffer_}};
    }
    return {{"velocity", &velocity_}};
  }

 private:
  double rho_, momentum_, epsilon_;
  std::vector<float> velocity_, momentum_buffer_;
};

}  // namespace
RUNNER_REGISTER_OPTIMIZER(RmsProp);
}  // namespace runner
