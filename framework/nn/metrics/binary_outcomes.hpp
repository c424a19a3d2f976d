#pragma once
// The (prediction, truth) pairs binary-style metrics count (AUC, precision, recall), as Keras
// flattens them: every output of every sample against its 0/1 target; class-index labels count
// as one-hot rows (a single output: the index itself).
#include <cstdint>

#include "framework/core/targets.hpp"
#include "framework/core/tensor.hpp"

namespace runner {

// Calls visit(prediction, positive) for every output; `only_class` >= 0 keeps that column.
template <typename Visit>
void for_each_outcome(const Tensor& p, const Targets& y, std::int64_t only_class, Visit visit) {
  const std::size_t width = p.sample_size();
  for (std::int64_t n = 0; n < p.batch(); ++n) {
    for (std::size_t c = 0; c < width; ++c) {
      if (only_class >= 0 && static_cast<std::int64_t>(c) != only_class) {
        continue;
      }
      const std::size_t i = static_cast<std::size_t>(n) * width + c;
      bool positive = false;
      if (y.has_values()) {
        positive = y.values[i] > 0.5F;
      } else if (width == 1) {
        positive = y.classes[static_cast<std::size_t>(n)] == 1;
      } else {
        positive = y.classes[static_cast<std::size_t>(n)] == static_cast<std::int32_t>(c);
      }
      visit(p[i], positive);
    }
  }
}

}  // namespace runner
