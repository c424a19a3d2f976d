#include "framework/core/rng.hpp"

namespace runner {

std::uint64_t Rng::below(std::uint64_t n) {
  // Rejection sampling on the top of the range keeps every value equally likely.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
  std::uint64_t x = engine_();
  while (x >= limit) {
    x = engine_();
  }
  return x % n;
}

}  // namespace runner
