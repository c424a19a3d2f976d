#pragma once
// Adam's update as Keras 2.11 computes it, the whole of Adam and AdamW but their names and
// schemas (AdamW only adds decoupled weight decay, which the Optimizer base class applies): alpha =
// lr * sqrt(1 - b2^t) / (1 - b1^t); m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); with amsgrad
// v_hat = max(v_hat, v) replaces v; w -= alpha * m / (sqrt(v) + epsilon).
#include <cmath>
#include <string>
#include <vector>

#include "framework/train/optimizers/optimizer.hpp"

namespace runner {

class AdamRule : public Optimizer {
 public:
  // Adam's parameters (AdamW adds its weight decay default).
  static Schema& declare(Schema& schema) {
    return Optimizer::declare_learning_rate(schema, 0.001)
        .real("beta_1", "decay of the first-moment average", 0.9)
        .at_least(0)
        .below(1)
        .real("beta_2", "decay of the second-moment average", 0.999)
        .at_least(0)
        .below(1)
        .real("epsilon", "added to the denominator", 1e-7)
        .above(0)
        .flag("amsgrad", "use the maximum of past second moments (AMSGrad)", false);
  }

  explicit AdamRule(const Params& p)
      : Optimizer(p),
        beta_1_(p.real("beta_1")),
        beta_2_(p.real("beta_2")),
        epsilon_(p.real("epsilon")),
        amsgrad_(p.flag("amsgrad")) {}

  // Keras' slot names: m, v and (amsgrad) vhat.
  [[nodiscard]] std::vector<std::pair<std::string, std::vector<float>*>> slots() override {
    if (amsgrad_) {
      return {{"m", &m_}, {"v", &v_}, {"vhat", &v_hat_}};
    }
    return {{"m", &m_}, {"v", &v_}};
  }
  // Keras' Adam builds m and v variable by variable, then (amsgrad) every vhat.
  [[nodiscard]] std::vector<std::vector<std::string>> keras_slot_groups() const override {
    return {{"m", "v"}, {"vhat"}};
  }

 protected:
  void prepare_slots(std::size_t size) override {
    m_.assign(size, 0.0F);
    v_.assign(size, 0.0F);
    v_hat_.assign(amsgrad_ ? size : 0, 0.0F);
  }

  void update(std::span<float> params, std::span<const float> grads) override {
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
    float* __restrict v_hat = v_hat_.data();
    const bool amsgrad = amsgrad_;
    for_each_chunk(params.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {  // loads first (for_each_chunk)
        const float gi = g[i];
        const float mi = m[i] + (gi - m[i]) * one_minus_b1;
        const float vi = v[i] + (gi * gi - v[i]) * one_minus_b2;
        const float second = amsgrad ? std::max(v_hat[i], vi) : vi;
        const float wi = w[i] - alpha * mi / (std::sqrt(second) + eps);
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
          v_hat[i] = second;
        }
        w[i] = wi;
      }
    });
  }

 private:
  double beta_1_, beta_2_, epsilon_;
  bool amsgrad_;
  std::vector<float> m_, v_, v_hat_;
};

}  // namespace runner
