#pragma once
// What a batch of model outputs is compared with, by losses and metrics: class labels, real
// targets ({n, width}: one-hot rows, 0/1 labels, regression values), or both.
#include <cstdint>
#include <vector>

#include "framework/core/tensor.hpp"

namespace runner {

struct Targets {
  std::vector<std::int32_t> classes;  // one class index per sample; empty without classes
  Tensor values;                      // {n, width}; empty when the loss reads classes only

  [[nodiscard]] bool has_classes() const { return !classes.empty(); }
  [[nodiscard]] bool has_values() const { return values.size() > 0; }
};

}  // namespace runner
