#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstring>

#include "layers/kernels/lanes.hpp"

namespace runner::test {

using kernels::kLanes;
using kernels::Vec;

TEST_SUITE("lanes") {
  // Partial blocks (the channels past the last multiple of the vector width) move their floats
  // in pieces or masked moves: every count must read exactly its floats and zero the rest, and
  // write exactly its floats and nothing after them.
  TEST_CASE("load_lanes and store_lanes move exactly the first lanes floats for every count") {
    for (int lanes = 0; lanes <= kLanes; ++lanes) {
      CAPTURE(lanes);
      // NaN after the source's floats: a wider read would load one.
      std::array<float, 2 * kLanes> memory{};
      for (std::size_t i = 0; i < memory.size(); ++i) {
        memory[i] = std::nanf("");
      }
      float* src = memory.data() + kLanes;
      for (int i = 0; i < lanes; ++i) {
        src[i] = static_cast<float>(i + 1);
      }
      const Vec v = kernels::load_lanes(src, lanes);
      int loaded_right = 0;
      for (int i = 0; i < kLanes; ++i) {
        const float expected = i < lanes ? static_cast<float>(i + 1) : 0.0F;
        loaded_right += v[i] == expected ? 1 : 0;
      }
      CHECK(loaded_right == kLanes);

      std::array<float, kLanes + 1> dst{};
      dst.fill(-1.0F);
      kernels::store_lanes(v + 100.0F, lanes, dst.data());
      int stored_right = 0;
      for (int i = 0; i <= kLanes; ++i) {
        const float expected = i < lanes ? static_cast<float>(i + 101) : -1.0F;
        stored_right += dst[static_cast<std::size_t>(i)] == expected ? 1 : 0;
      }
      CHECK(stored_right == kLanes + 1);
    }
  }

  TEST_CASE("load_lanes keeps the bits of what it loads (negative zero and NaN)") {
    const float values[3] = {-0.0F, std::nanf("0x123"), -1e-40F};
    const Vec v = kernels::load_lanes(values, 3);
    float back[3] = {};
    kernels::store_lanes(v, 3, back);
    CHECK(std::memcmp(values, back, sizeof(values)) == 0);
  }
}

}  // namespace runner::test
