#pragma once
// For tests of the hand-written vector functions (layers/kernels/vector_*.hpp): many floats fed
// to a function a register at a time, and errors in units in the last place.
#include <algorithm>
#include <cmath>
#include <utility>

#include "layers/kernels/lanes.hpp"

namespace runner::test {

// One float's unit in the last place at the exact value's magnitude (normal floats).
inline double ulp_at(double exact) {
  const double magnitude = std::max(std::abs(exact), 0x1p-126);
  return std::ldexp(1.0, std::ilogb(magnitude) - 23);
}

// Collects floats with add(); calls check(x, count) on each full register and, from finish(),
// on the partial last one (count floats valid).
template <typename Check>
class RegisterFeeder {
 public:
  explicit RegisterFeeder(Check check) : check_(std::move(check)) {}

  void add(float v) {
    x_[filled_++] = v;
    if (filled_ == kernels::kLanes) {
      check_(x_, filled_);
      filled_ = 0;
    }
  }

  void finish() {
    if (filled_ > 0) {
      check_(x_, filled_);
      filled_ = 0;
    }
  }

 private:
  Check check_;
  kernels::Vec x_{};
  int filled_ = 0;
};

}  // namespace runner::test
