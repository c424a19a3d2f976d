#include "framework/nn/metrics/accuracy.hpp"

#include <algorithm>

namespace runner {

std::size_t argmax(std::span<const float> row) {
  return static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

std::int64_t count_correct(const Tensor& output, std::span<const std::int32_t> labels) {
  const auto batch = static_cast<std::size_t>(output.batch());
  const std::size_t classes = output.sample_size();
  std::int64_t correct = 0;
  for (std::size_t n = 0; n < batch; ++n) {
    const std::span<const float> row(output.data() + n * classes, classes);
    correct += argmax(row) == static_cast<std::size_t>(labels[n]) ? 1 : 0;
  }
  return correct;
}

}  // namespace runner
