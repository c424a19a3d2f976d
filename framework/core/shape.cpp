#include "framework/core/shape.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>
#include <numeric>

namespace runner {

std::int64_t Shape::elements() const {
  return std::accumulate(dims_.begin(), dims_.end(), std::int64_t{1}, std::multiplies<>());
}

Shape Shape::with_batch(std::int64_t batch) const {
  std::vector<std::int64_t> dims{batch};
  dims.insert(dims.end(), dims_.begin(), dims_.end());
  return Shape(std::move(dims));
}

Shape Shape::without_batch() const {
  if (dims_.empty()) {
    return {};
  }
  return Shape(std::vector<std::int64_t>(dims_.begin() + 1, dims_.end()));
}

std::string Shape::str() const {
  return fmt::format("[{}]", fmt::join(dims_, ", "));
}

std::string Shape::keras_str() const {
  if (dims_.empty()) {
    return "(None,)";
  }
  return fmt::format("(None, {})", fmt::join(dims_, ", "));
}

}  // namespace runner
