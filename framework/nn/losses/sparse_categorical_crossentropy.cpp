#include "framework/nn/losses/sparse_categorical_crossentropy.hpp"

#include <algorithm>
#include <cmath>

#include "framework/nn/losses/loss.hpp"

namespace runner {

namespace {
constexpr float kEpsilon = 1e-7F;  // Keras' backend.epsilon()
}

double sparse_categorical_crossentropy(const Tensor& output, std::span<const std::int32_t> labels,
                                       bool from_logits, Tensor* grad, std::int64_t mean_over) {
  const auto batch = static_cast<std::size_t>(output.batch());
  const std::size_t classes = output.sample_size();
  const float inv_batch =
      1.0F / static_cast<float>(mean_over > 0 ? static_cast<std::size_t>(mean_over) : batch);
  if (grad != nullptr) {
    grad->resize(output.shape());
  }
  double total = 0.0;
  for (std::size_t n = 0; n < batch; ++n) {
    const float* row = output.data() + n * classes;
    const auto label = static_cast<std::size_t>(labels[n]);
    if (from_logits) {
      const float top = *std::max_element(row, row + classes);
      float sum = 0.0F;
      for (std::size_t c = 0; c < classes; ++c) {
        sum += std::exp(row[c] - top);
      }
      const float log_sum = std::log(sum);
      total += static_cast<double>(log_sum - (row[label] - top));
      if (grad != nullptr) {
        float* g = grad->data() + n * classes;
        for (std::size_t c = 0; c < classes; ++c) {
          const float p = std::exp(row[c] - top - log_sum);
          g[c] = (p - (c == label ? 1.0F : 0.0F)) * inv_batch;
        }
      }
    } else {
      const float p = std::clamp(row[label], kEpsilon, 1.0F - kEpsilon);
      total += static_cast<double>(-std::log(p));
      if (grad != nullptr) {
        float* g = grad->data() + n * classes;
        std::fill(g, g + classes, 0.0F);
        // The clip passes no gradient where it bites, as in TensorFlow.
        const bool clipped = row[label] < kEpsilon || row[label] > 1.0F - kEpsilon;
        g[label] = clipped ? 0.0F : -inv_batch / p;
      }
    }
  }
  return total;
}

void softmax_in_place(std::span<float> logits) {
  const float top = *std::max_element(logits.begin(), logits.end());
  float sum = 0.0F;
  for (float& v : logits) {
    v = std::exp(v - top);
    sum += v;
  }
  for (float& v : logits) {
    v /= sum;
  }
}

namespace {

// Keras' loss='sparse_categorical_crossentropy': integer class labels, one output per class.
class SparseCategoricalCrossentropy final : public Loss {
 public:
  static constexpr std::string_view kType = "sparse_categorical_crossentropy";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType),
               "cross-entropy of integer class labels against class "
               "probabilities (softmax outputs)")
            .flag("from_logits", "the model outputs logits (no softmax): the loss applies it",
                  false)
            .keras_class("SparseCategoricalCrossentropy");
    return s;
  }

  static std::unique_ptr<Loss> create(const Params& p) {
    auto loss = std::make_unique<SparseCategoricalCrossentropy>();
    loss->from_logits_ = p.flag("from_logits");
    loss->config_ = p.resolved();
    return loss;
  }

  [[nodiscard]] std::string_view type() const override { return kType; }
  [[nodiscard]] LossTargets targets() const override { return LossTargets::kClassIndex; }
  [[nodiscard]] bool takes_softmax_logits() const override { return true; }

  double compute(const Tensor& output, const Targets& y, bool softmax_folded, Tensor* grad,
                 std::int64_t mean_over) const override {
    return sparse_categorical_crossentropy(output, y.classes, softmax_folded || from_logits_, grad,
                                           mean_over);
  }

  void to_probabilities(Tensor& output, bool softmax_folded) const override {
    Loss::to_probabilities(output, softmax_folded || from_logits_);
  }

 private:
  bool from_logits_ = false;
};

}  // namespace
RUNNER_REGISTER_LOSS(SparseCategoricalCrossentropy);

}  // namespace runner
