#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "layers/kernels/vector_tanh.hpp"
#include "tests/support/vector_accuracy.hpp"

namespace runner::test {

using kernels::kLanes;
using kernels::Vec;

TEST_SUITE("vector_tanh") {
  // The error bound that tests/reference/tanh_rational.py measured (5.54 ulp on every 97th
  // float), checked here on other floats: every 61st bit pattern of (0, 9.5], both signs.
  TEST_CASE("tanh_vec is within 6 ulp of tanh and odd") {
    const std::uint32_t last = std::bit_cast<std::uint32_t>(9.5F);
    double worst = 0;
    float worst_x = 0;
    int asymmetric = 0;
    int above_one = 0;
    RegisterFeeder feeder([&](const Vec& x, int count) {
      const Vec y = kernels::tanh_vec(x);
      const Vec minus = kernels::tanh_vec(-x);
      for (int i = 0; i < count; ++i) {
        const double exact = std::tanh(static_cast<double>(x[i]));
        const double error = std::abs(static_cast<double>(y[i]) - exact) / ulp_at(exact);
        if (error > worst) {
          worst = error;
          worst_x = x[i];
        }
        asymmetric += minus[i] == -y[i] ? 0 : 1;
        above_one += std::abs(y[i]) <= 1.0F ? 0 : 1;
      }
    });
    for (std::uint32_t bits = 1; bits <= last; bits += 61) {
      feeder.add(std::bit_cast<float>(bits));
    }
    feeder.finish();
    CAPTURE(worst_x);
    CHECK(worst <= 6.0);
    CHECK(asymmetric == 0);
    CHECK(above_one == 0);
  }

  TEST_CASE("tanh_vec keeps tiny values and NaN and saturates at infinity") {
    static_assert(kLanes >= 8);
    const float inf = std::numeric_limits<float>::infinity();
    const float tiny[] = {0.0F, -0.0F, 1e-30F, -3e-8F, 1e-5F, 0x1p-149F};
    Vec x{};
    for (int i = 0; i < 6; ++i) {
      x[i] = tiny[i];
    }
    x[6] = inf;
    x[7] = std::nanf("");
    const Vec y = kernels::tanh_vec(x);
    for (int i = 0; i < 6; ++i) {
      CAPTURE(i);
      CHECK(y[i] == tiny[i]);
      CHECK(std::signbit(y[i]) == std::signbit(tiny[i]));
    }
    CHECK(y[6] == 1.0F);
    CHECK(kernels::tanh_vec(-x)[6] == -1.0F);
    CHECK(std::isnan(y[7]));
    CHECK(kernels::tanh_vec(Vec{} + 20.0F)[0] == 1.0F);
  }
}

}  // namespace runner::test
