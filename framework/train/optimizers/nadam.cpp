// Nadam as Keras 2.11 computes it (optimizer_experimental/nadam.py): with decay 0.96,
// u_t = b1 (1 - 0.5 * 0.96^t), u_{t+1} likewise, and the running products of the u's,
// m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
// m_hat = u_{t+1} m / (1 - prod_{t+1}) + (1 - u_t) g / (1 - prod_t); v_hat = v / (1 - b2^t);
// w -= lr * m_hat / (sqrt(v_hat) + epsilon).
// (PyTorch's NAdam raises 0.96 to 0.004 t instead, so its momentum schedule is much slower.)
#include <cmath>

#include "framework/train/optimizers/optimizer.hpp"

namespace runner {
namespace {

constexpr double kDecay = 0.96;

class Nadam final : public Optimizer {
 public:
  static constexpr std::string_view kType = "nadam";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "Nadam: Adam with Nesterov momentum (Keras 2.11 update rule)");
      out.keras_class("Nadam");
      declare_learning_rate(out, 0.001)
          .real("beta_1", "decay of the first-moment average", 0.9)
          .at_least(0)
          .below(1)
          .real("beta_2", "decay of the second-moment average", 0.999)
          .at_least(0)
          .below(1)
          .real("epsilon", "added to the denominator", 1e-7)
          .above(0);
      return declare_common(out);
    }();
    return s;
  }

  static std::unique_ptr<Optimizer> create(const Params& p) {
    return common_ok(p) ? std::make_unique<Nadam>(p) : nullptr;
  }

  explicit Nadam(const Params& p)
      : Optimizer(p),
        beta_1_(p.real("beta_1")),
        beta_2_(p.real("beta_2")),
        epsilon_(p.real("epsilon")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] std::vector<std::pair<std::string, std::vector<float>*>> slots() override {
    return {{"m", &m_}, {"v", &v_}};
  }

 protected:
  void prepare_slots(std::size_t size) override {
    m_.assign(size, 0.0F);
    v_.assign(size, 0.0F);
  }

  void update(std::span<float> params, std::span<const float> grads) override {
    const auto t = static_cast<double>(iterations_);
    const double u_t = beta_1_ * (1.0 - 0.5 * std::pow(kDecay, t));
    const double u_next = beta_1_ * (1.0 - 0.5 * std::pow(kDecay, t + 1));
    const double product = u_product();
    const double product_next = product * u_next;
    const auto c_m = static_cast<float>(u_next / (1.0 - product_next));
    const auto c_g = static_cast<float>((1.0 - u_t) / (1.0 - product));
    const auto v_scale = static_cast<float>(1.0 / (1.0 - std::pow(beta_2_, t)));
    const auto lr = static_cast<float>(learning_rate_);
    const auto one_minus_b1 = static_cast<float>(1.0 - beta_1_);
    const auto one_minus_b2 = static_cast<float>(1.0 - beta_2_);
    const auto eps = static_cast<float>(epsilon_);
    float* __restrict w = params.data();
    const float* __restrict g = grads.data();
    float* __restrict m = m_.data();
    float* __restrict v = v_.data();
    for_each_chunk(params.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {  // loads first (for_each_chunk)
        const float gi = g[i];
        const float mi = m[i] + (gi - m[i]) * one_minus_b1;
        const float vi = v[i] + (gi * gi - v[i]) * one_minus_b2;
        const float m_hat = c_m * mi + c_g * gi;
        const float wi = w[i] - lr * m_hat / (std::sqrt(vi * v_scale) + eps);
        m[i] = mi;
        v[i] = vi;
        w[i] = wi;
      }
    });
  }

 private:
  // The product of u_1..u_t for t = iterations_: one multiplication per step, and after a jump
  // of the step count (a resumed run) recomputed from u_1 in the same order, so it needs no
  // saved state and gives the same bits either way.
  double u_product() {
    if (product_step_ > iterations_) {
      product_ = 1.0;
      product_step_ = 0;
    }
    for (; product_step_ < iterations_; ++product_step_) {
      product_ *= beta_1_ * (1.0 - 0.5 * std::pow(kDecay, static_cast<double>(product_step_ + 1)));
    }
    return product_;
  }

  double beta_1_, beta_2_, epsilon_;
  double product_ = 1.0;
  std::int64_t product_step_ = 0;  // the step product_ belongs to
  std::vector<float> m_, v_;
};

}  // namespace
RUNNER_REGISTER_OPTIMIZER(Nadam);
}  // namespace runner
