#pragma once
// Sparse categorical cross-entropy as Keras computes it. From logits it uses log-softmax
// (stable for any logit size); from probabilities it clips to [1e-7, 1 - 1e-7] first.
#include <cstdint>
#include <span>

#include "framework/core/tensor.hpp"

namespace runner {

// Sum over the batch of -log p(label). If grad is not null, writes dLoss/doutput for the
// batch-mean loss (Keras' reduction), i.e. (softmax - onehot) / batch from logits; with
// mean_over > 0 the mean is over that many samples instead (a data-parallel shard's share of
// the global batch). Requires: output is {batch, classes}; labels in [0, classes).
double sparse_categorical_crossentropy(const Tensor& output, std::span<const std::int32_t> labels,
                                       bool from_logits, Tensor* grad, std::int64_t mean_over = 0);

// Turns logits into probabilities (max-subtracted, so large logits do not overflow).
void softmax_in_place(std::span<float> logits);

}  // namespace runner
