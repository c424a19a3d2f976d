#pragma once
// The shape shared by Keras' element-wise losses (binary cross-entropy, MSE, MAE, Huber): a
// per-element term, averaged over the last axis for each sample, summed over the batch.
#include <fmt/format.h>

#include <cstdint>

#include "framework/core/errors.hpp"
#include "framework/core/targets.hpp"
#include "framework/core/tensor.hpp"
#include "framework/nn/losses/loss.hpp"

namespace runner {

struct LossTerm {
  double value;  // the element's loss
  float slope;   // d value / d output
};

// Sum over samples of mean_j term(output[n, j], y.values[n, j]); with grad, the gradient of
// the sum divided by `mean_over` (0: the batch).
template <typename Term>
double elementwise_loss(const Tensor& output, const Targets& y, Tensor* grad,
                        std::int64_t mean_over, Term term) {
  if (y.values.size() != output.size()) {
    throw ShapeError(fmt::format("the targets are {} but the outputs {}", y.values.shape().str(),
                                 output.shape().str()));
  }
  const auto batch = static_cast<std::size_t>(output.batch());
  const std::size_t width = output.sample_size();
  const float scale =
      1.0F / static_cast<float>(width) /
      static_cast<float>(mean_over > 0 ? static_cast<std::size_t>(mean_over) : batch);
  if (grad != nullptr) {
    grad->resize(output.shape());
  }
  double total = 0;
  for (std::size_t n = 0; n < batch; ++n) {
    double sample = 0;
    for (std::size_t j = 0; j < width; ++j) {
      const std::size_t i = n * width + j;
      const LossTerm t = term(output[i], y.values[i]);
      sample += t.value;
      if (grad != nullptr) {
        (*grad)[i] = t.slope * scale;
      }
    }
    total += sample / static_cast<double>(width);
  }
  return total;
}

// A regression loss without parameters, named kName (Keras' function or its alias) with Keras'
// class kClass: Term()(output, target) gives one element's LossTerm.
template <const char* kName, const char* kClass, const char* kSummary, typename Term>
class ElementwiseLoss final : public Loss {
 public:
  static const Schema& schema() {
    static const Schema s = Schema(kName, kSummary).keras_class(kClass);
    return s;
  }
  static std::unique_ptr<Loss> create(const Params& p) {
    auto loss = std::make_unique<ElementwiseLoss>();
    loss->config_ = p.resolved();
    return loss;
  }
  [[nodiscard]] std::string_view type() const override { return kName; }
  [[nodiscard]] LossTargets targets() const override { return LossTargets::kValue; }
  double compute(const Tensor& output, const Targets& y, bool /*softmax_folded*/, Tensor* grad,
                 std::int64_t mean_over) const override {
    return elementwise_loss(output, y, grad, mean_over, Term());
  }
};

}  // namespace runner
