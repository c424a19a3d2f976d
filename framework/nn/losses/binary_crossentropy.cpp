// Keras' loss='binary_crossentropy' (BinaryCrossentropy): 0/1 targets against sigmoid outputs
// (or logits with from_logits), label_smoothing pulls targets towards 0.5.
#include <algorithm>
#include <cmath>

#include "framework/nn/losses/elementwise.hpp"
#include "framework/nn/losses/loss.hpp"

namespace runner {

namespace {

constexpr float kEpsilon = 1e-7F;  // Keras' backend.epsilon()

class BinaryCrossentropy final : public Loss {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("binary_crossentropy",
               "binary (or multi-label) classification: cross-entropy of 0/1 targets against "
               "sigmoid outputs")
            .flag("from_logits", "the model outputs logits (no sigmoid): the loss applies it",
                  false)
            .real("label_smoothing", "targets become y (1 - s) + s / 2", 0.0)
            .at_least(0)
            .at_most(1)
            .keras_class("BinaryCrossentropy");
    return s;
  }
  static std::unique_ptr<Loss> create(const Params& p) {
    auto loss = std::make_unique<BinaryCrossentropy>();
    loss->from_logits_ = p.flag("from_logits");
    loss->smoothing_ = static_cast<float>(p.real("label_smoothing"));
    loss->config_ = p.resolved();
    return loss;
  }
  [[nodiscard]] std::string_view type() const override { return "binary_crossentropy"; }
  [[nodiscard]] LossTargets targets() const override { return LossTargets::kBinary; }

  double compute(const Tensor& output, const Targets& y, bool /*softmax_folded*/, Tensor* grad,
                 std::int64_t mean_over) const override {
    const float s = smoothing_;
    if (from_logits_) {
      // TensorFlow's sigmoid_cross_entropy_with_logits: max(z, 0) - z y + log(1 + exp(-|z|)).
      return elementwise_loss(output, y, grad, mean_over, [s](float z, float t) {
        const float target = t * (1 - s) + 0.5F * s;
        const double value = std::max(z, 0.0F) - z * target + std::log1p(std::exp(-std::abs(z)));
        const float sigmoid = 1.0F / (1.0F + std::exp(-z));
        return LossTerm{value, sigmoid - target};
      });
    }
    // Keras: p clipped to [eps, 1 - eps], then -(y log(p + eps) + (1 - y) log(1 - p + eps)).
    return elementwise_loss(output, y, grad, mean_over, [s](float p, float t) {
      const float target = t * (1 - s) + 0.5F * s;
      const float q = std::clamp(p, kEpsilon, 1 - kEpsilon);
      const double value =
          -(target * std::log(q + kEpsilon) + (1 - target) * std::log(1 - q + kEpsilon));
      const bool clipped = p < kEpsilon || p > 1 - kEpsilon;
      const float slope =
          clipped ? 0.0F : -target / (q + kEpsilon) + (1 - target) / (1 - q + kEpsilon);
      return LossTerm{value, slope};
    });
  }

  void to_probabilities(Tensor& output, bool /*softmax_folded*/) const override {
    if (from_logits_) {
      for (float& z : output.span()) {
        z = 1.0F / (1.0F + std::exp(-z));
      }
    }
  }

 private:
  bool from_logits_ = false;
  float smoothing_ = 0;
};

}  // namespace
RUNNER_REGISTER_LOSS(BinaryCrossentropy);

}  // namespace runner
