// RMSprop as Keras 2.11 computes it: v = rho * v + (1 - rho) * g^2; centered also keeps
// a = rho * a + (1 - rho) * g and divides by sqrt(v - a^2 + epsilon) instead of sqrt(v + epsilon);
// w -= lr * g / that, with optional momentum on the increment.
#include <cmath>

#include "framework/train/optimizers/optimizer.hpp"

namespace runner {
namespace {

class RmsProp final : public Optimizer {
 public:
  static constexpr std::string_view kType = "rmsprop";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType),
                 "RMSprop: steps scaled by a moving average of squared gradients");
      out.keras_class("RMSprop");
      declare_learning_rate(out, 0.001)
          .real("rho", "decay of the squared-gradient average", 0.9)
          .at_least(0)
          .below(1)
          .real("momentum", "momentum on the scaled step (0: none)", 0.0)
          .at_least(0)
          .at_most(1)
          .real("epsilon", "added under the square root", 1e-7)
          .above(0)
          .flag("centered", "divide by the gradient's variance estimate, not its mean square",
                false);
      return declare_common(out);
    }();
    return s;
  }

  static std::unique_ptr<Optimizer> create(const Params& p) {
    return common_ok(p) ? std::make_unique<RmsProp>(p) : nullptr;
  }

  explicit RmsProp(const Params& p)
      : Optimizer(p),
        rho_(p.real("rho")),
        momentum_(p.real("momentum")),
        epsilon_(p.real("epsilon")),
        centered_(p.flag("centered")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  // Keras' slot names.
  // Keras' RMSprop builds every velocity, then every momentum, then every average gradient.
  [[nodiscard]] std::vector<std::vector<std::string>> keras_slot_groups() const override {
    return {{"velocity"}, {"momentum"}, {"average_gradient"}};
  }

  [[nodiscard]] std::vector<std::pair<std::string, std::vector<float>*>> slots() override {
    std::vector<std::pair<std::string, std::vector<float>*>> out{{"velocity", &velocity_}};
    if (momentum_ > 0) {
      out.emplace_back("momentum", &momentum_buffer_);
    }
    if (centered_) {
      out.emplace_back("average_gradient", &average_gradient_);
    }
    return out;
  }

 protected:
  void prepare_slots(std::size_t size) override {
    velocity_.assign(size, 0.0F);
    momentum_buffer_.assign(momentum_ > 0 ? size : 0, 0.0F);
    average_gradient_.assign(centered_ ? size : 0, 0.0F);
  }

  void update(std::span<float> params, std::span<const float> grads) override {
    const bool use_momentum = momentum_ > 0;
    if (centered_) {
      use_momentum ? update_as<true, true>(params, grads) : update_as<true, false>(params, grads);
    } else {
      use_momentum ? update_as<false, true>(params, grads) : update_as<false, false>(params, grads);
    }
  }

 private:
  // One loop per variant: with the choices inside, GCC kept the loop scalar (its conditional
  // stores), 1.13 ms for the MLP's 279k parameters (bench/optimizers_bench.cpp).
  template <bool kCentered, bool kMomentum>
  void update_as(std::span<float> params, std::span<const float> grads) {
    const auto lr = static_cast<float>(learning_rate_);
    const auto rho = static_cast<float>(rho_);
    const auto mu = static_cast<float>(momentum_);
    const auto eps = static_cast<float>(epsilon_);
    float* __restrict w = params.data();
    const float* __restrict g = grads.data();
    float* __restrict v = velocity_.data();
    float* __restrict m = momentum_buffer_.data();
    float* __restrict a = average_gradient_.data();
    for_each_chunk(params.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {  // loads first (for_each_chunk)
        const float gi = g[i];
        const float vi = rho * v[i] + (1.0F - rho) * gi * gi;
        float denominator = vi + eps;
        float ai = 0.0F;
        if constexpr (kCentered) {
          ai = rho * a[i] + (1.0F - rho) * gi;
          denominator = vi - ai * ai + eps;
        }
        const float increment = lr * gi / std::sqrt(denominator);
        float mi = increment;
        if constexpr (kMomentum) {
          mi = mu * m[i] + increment;
        }
        const float wi = w[i] - mi;
        v[i] = vi;
        if constexpr (kCentered) {
          a[i] = ai;
        }
        if constexpr (kMomentum) {
          m[i] = mi;
        }
        w[i] = wi;
      }
    });
  }

  double rho_, momentum_, epsilon_;
  bool centered_;
  std::vector<float> velocity_, momentum_buffer_, average_gradient_;
};

}  // namespace
RUNNER_REGISTER_OPTIMIZER(RmsProp);
}  // namespace runner
