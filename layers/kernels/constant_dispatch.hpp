#pragma once
// Kernels whose register blocks are compile-time arrays (rows, 16-channel vectors, patch taps)
// are instantiated for each size they take; this turns the run-time size into that constant.
#include <type_traits>

namespace runner::kernels {

// Calls fn(std::integral_constant<int, value>{}) for value in [1, kMax]; larger values call it
// with kMax (callers check their bounds first).
template <int kMax, int kValue = 1, typename Fn>
inline void with_constant(long value, const Fn& fn) {
  if constexpr (kValue < kMax) {
    if (value != kValue) {
      return with_constant<kMax, kValue + 1>(value, fn);
    }
  }
  fn(std::integral_constant<int, kValue>{});
}

}  // namespace runner::kernels
