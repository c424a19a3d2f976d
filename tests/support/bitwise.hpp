#pragma once
// Bit-for-bit comparison of float arrays (NaNs and signed zeros included): how tests state that
// two computations are the same one (thread counts, fused and unfused paths).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>

namespace runner::test {

inline bool bitwise_equal(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The largest |a[i] - b[i]| (0 for two NaNs; infinite for a NaN against a number, or for sizes
// that differ).
inline double max_abs_difference(std::span<const float> a, std::span<const float> b) {
  constexpr double kFar = std::numeric_limits<double>::infinity();
  if (a.size() != b.size()) {
    return kFar;
  }
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) || std::isnan(b[i])) {
      worst = std::isnan(a[i]) && std::isnan(b[i]) ? worst : kFar;
      continue;
    }
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
  }
  return worst;
}

}  // namespace runner::test
