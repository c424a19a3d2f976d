// Adam as Keras 2.11 computes it: alpha = lr * sqrt(1 - b2^t) / (1 - b1^t);
// m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha * m / (sqrt(v) + epsilon).
#include <cmath>

#include "framework/train/optimizers/optimizer.hpp"

namespace runner {
namespace {

class Adam final : public Optimizer {
 public:
  static constexpr std::string_view kType = "adam";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "Adam: adaptive moment estimation (Keras 2.11 update rule)")
            .real("learning_rate", "step size", 0.001)
            .above(0)
            .real("beta_1", "decay of the first-moment average", 0.9)
            .at_least(0)
            .below(1)
            .real("beta_2", "decay of the second-moment average", 0.999)
            .at_least(0)
            .below(1)
            .real("epsilon", "added to the denominator", 1e-7)
            .above(0);
    return s;
  }

  static std::unique_ptr<Optimizer> create(const Params& p) { return std::make_unique<Adam>(p); }

  explicit Adam(const Params& p)
      : Optimizer(p),
        beta_1_(p.real("beta_1")),
        beta_2_(p.real("beta_2")),
        epsilon_(p.real("epsilon")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  void prepare(std::size_t size) override {
    m_.assign(size, 0.0F);
    v_.assign(size, 0.0F);
  }

  void apply(std::span<float> params, std::span<const float> grads) override {
    ++iterations_;
    const auto t = static_cast<double>(iterations_);
    const auto alpha = static_cast<float>(learning_rate_ * std::sqrt(1.0 - std::pow(beta_2_, t)) /
                                          (1.0 - std::pow(beta_1_, t)));
    const auto one_minus_b1 = static_cast<float>(1.0 - beta_1_);
    const auto one_minus_b2 = static_cast<float>(1.0 - beta_2_);
    const auto eps = static_cast<float>(epsilon_);
    float* __restrict w = params.data();
    const float* __restrict g = grads.data();
    float* __restrict m = m_.data();
    float* __restrict v = v_.data();
    for_each_chunk(params.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        m[i] += (g[i] - m[i]) * one_minus_b1;
        v[i] += (g[i] * g[i] - v[i]) * one_minus_b2;
        w[i] -= alpha * m[i] / (std::sqrt(v[i]) + eps);
      }
    });
  }

  [[nodiscard]] std::vector<std::pair<std::string, std::vector<float>*>> slots() override {
    return {{"m", &m_}, {"v", &v_}};
  }

 private:
  double beta_1_, beta_2_, epsilon_;
  std::vector<float> m_, v_;
};

}  // namespace
RUNNER_REGISTER_OPTIMIZER(Adam);
}  // namespace runner
