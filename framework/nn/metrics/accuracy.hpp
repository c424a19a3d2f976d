#pragma once
// Keras' "accuracy" for integer labels (sparse_categorical_accuracy): argmax == label.
#include <cstdint>
#include <span>

#include "framework/core/tensor.hpp"

namespace runner {

// Number of rows whose first maximum (NumPy's argmax) is the label.
std::int64_t count_correct(const Tensor& output, std::span<const std::int32_t> labels);
// Index of the first maximum of one row.
std::size_t argmax(std::span<const float> row);

}  // namespace runner
