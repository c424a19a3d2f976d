#pragma once
// Bit-for-bit comparison of float arrays (NaNs and signed zeros included): how tests state that
// two computations are the same one (thread counts, fused and unfused paths).
#include <cstring>
#include <span>

namespace runner::test {

inline bool bitwise_equal(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) {
    return false;
  }
  return a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace runner::test
