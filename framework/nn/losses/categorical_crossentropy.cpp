// Keras' loss='categorical_crossentropy' (CategoricalCrossentropy): one-hot (or probability)
// target rows against softmax outputs; label_smoothing mixes the targets with the uniform
// distribution.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "framework/core/errors.hpp"
#include "framework/nn/losses/loss.hpp"

namespace runner {

namespace {

constexpr float kEpsilon = 1e-7F;  // Keras' backend.epsilon()

class CategoricalCrossentropy final : public Loss {
 public:
  static const Schema& schema() {
    static const Schema s =
        Schema("categorical_crossentropy",
               "cross-entropy of one-hot label rows (data.preprocessing.one_hot, or rows in the "
               "file) against class probabilities")
            .flag("from_logits", "the model outputs logits (no softmax): the loss applies it",
                  false)
            .real("label_smoothing", "targets become y (1 - s) + s / classes", 0.0)
            .at_least(0)
            .at_most(1)
            .keras_class("CategoricalCrossentropy");
    return s;
  }
  static std::unique_ptr<Loss> create(const Params& p) {
    auto loss = std::make_unique<CategoricalCrossentropy>();
    loss->from_logits_ = p.flag("from_logits");
    loss->smoothing_ = static_cast<float>(p.real("label_smoothing"));
    loss->config_ = p.resolved();
    return loss;
  }
  [[nodiscard]] std::string_view type() const override { return "categorical_crossentropy"; }
  [[nodiscard]] LossTargets targets() const override { return LossTargets::kDistribution; }
  [[nodiscard]] bool takes_softmax_logits() const override { return true; }

  double compute(const Tensor& output, const Targets& y, bool softmax_folded, Tensor* grad,
                 std::int64_t mean_over) const override {
    if (y.values.size() != output.size()) {
      throw ShapeError(fmt::format("the targets are {} but the outputs {}", y.values.shape().str(),
                                   output.shape().str()));
    }
    const auto batch = static_cast<std::size_t>(output.batch());
    const std::size_t classes = output.sample_size();
    const float inv_batch =
        1.0F / static_cast<float>(mean_over > 0 ? static_cast<std::size_t>(mean_over) : batch);
    if (grad != nullptr) {
      grad->resize(output.shape());
    }
    std::vector<float> target(classes);
    double total = 0;
    for (std::size_t n = 0; n < batch; ++n) {
      const float* row = output.data() + n * classes;
      float target_sum = 0;
      for (std::size_t c = 0; c < classes; ++c) {
        target[c] =
            y.values[n * classes + c] * (1 - smoothing_) + smoothing_ / static_cast<float>(classes);
        target_sum += target[c];
      }
      float* g = grad != nullptr ? grad->data() + n * classes : nullptr;
      if (softmax_folded || from_logits_) {
        // sum_c t_c (logsumexp(z) - z_c); gradient sum(t) softmax(z) - t.
        const float top = *std::max_element(row, row + classes);
        float sum = 0;
        for (std::size_t c = 0; c < classes; ++c) {
          sum += std::exp(row[c] - top);
        }
        const float log_sum = std::log(sum);
        for (std::size_t c = 0; c < classes; ++c) {
          total += static_cast<double>(target[c]) * (log_sum - (row[c] - top));
          if (g != nullptr) {
            g[c] = (target_sum * std::exp(row[c] - top - log_sum) - target[c]) * inv_batch;
          }
        }
        continue;
      }
      // Keras: outputs divided by their sum, clipped to [eps, 1 - eps], then -sum t log q.
      float norm = 0;
      for (std::size_t c = 0; c < classes; ++c) {
        norm += row[c];
      }
      float weighted = 0;  // sum_k t_k over the unclipped k (d/dq through the normalisation)
      for (std::size_t c = 0; c < classes; ++c) {
        const float q = row[c] / norm;
        const float clipped = std::clamp(q, kEpsilon, 1 - kEpsilon);
        total -= static_cast<double>(target[c]) * std::log(clipped);
        if (clipped == q) {
          weighted += target[c];
        }
      }
      if (g != nullptr) {
        for (std::size_t c = 0; c < classes; ++c) {
          const float q = row[c] / norm;
          const bool inside = q >= kEpsilon && q <= 1 - kEpsilon;
          g[c] = ((inside ? -target[c] / q : 0.0F) + weighted) / norm * inv_batch;
        }
      }
    }
    return total;
  }

  void to_probabilities(Tensor& output, bool softmax_folded) const override {
    Loss::to_probabilities(output, softmax_folded || from_logits_);
  }

 private:
  bool from_logits_ = false;
  float smoothing_ = 0;
};

}  // namespace
RUNNER_REGISTER_LOSS(CategoricalCrossentropy);

}  // namespace runner
