// Adam as Keras 2.11 computes it: alpha = lr * sqrt(1 - b2^t) / (1 - b1^t);
// m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); w -= alpha * m / (sqrt(v) + epsilon).
#include <cmath>

#include "framework/train/optimizers/optimizer.hpp"

namespace runner {
namespace {

class Adam final : public Optimizer {
 public:
  static constexpr std::string_view kType = "adam";

  static std::unique_ptr<Optimizer> from_spec(const Spec& spec) {
    MapReader p = spec.params();
    const double lr = p.get_or<double>("learning_rate", 0.001, positive_real());
    const double beta_1 = p.get_or<double>("beta_1", 0.9, in_range(0.0, 1.0, true));
    const double beta_2 = p.get_or<double>("beta_2", 0.999, in_range(0.0, 1.0, true));
    const double epsilon = p.get_or<double>("epsilon", 1e-7, positive_real());
    p.reject_unknown();
    return std::make_unique<Adam>(lr, beta_1, beta_2, epsilon);
  }

  Adam(double lr, double beta_1, double beta_2, double epsilon)
      : Optimizer(lr), beta_1_(beta_1), beta_2_(beta_2), epsilon_(epsilon) {}

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

  [[nodiscard]] YAML::Node config() const override {
    YAML::Node node;
    node["type"] = std::string(kType);
    node["learning_rate"] = yaml_number(learning_rate_);
    node["beta_1"] = yaml_number(beta_1_);
    node["beta_2"] = yaml_number(beta_2_);
    node["epsilon"] = yaml_number(epsilon_);
    return node;
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
