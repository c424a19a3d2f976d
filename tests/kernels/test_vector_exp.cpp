#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "layers/kernels/vector_exp.hpp"
#include "tests/support/vector_accuracy.hpp"

namespace runner::test {

using kernels::kLanes;
using kernels::Vec;

TEST_SUITE("vector_exp") {
  // Every 61st float of [-87.3, 88.72], both ends included: exp_vec within its documented ulp,
  // up to the largest finite result (it returned infinity from 88.38, where 2^n needed an
  // exponent of 128).
  TEST_CASE("exp_vec is within 1.5 ulp of exp up to the largest finite result") {
    double worst = 0;
    float worst_x = 0;
    RegisterFeeder feeder([&](const Vec& x, int count) {
      const Vec y = kernels::exp_vec(x);
      for (int i = 0; i < count; ++i) {
        const double exact = std::exp(static_cast<double>(x[i]));
        const double error = std::abs(static_cast<double>(y[i]) - exact) / ulp_at(exact);
        if (!(error <= worst)) {
          worst = error;
          worst_x = x[i];
        }
      }
    });
    for (std::uint32_t bits = std::bit_cast<std::uint32_t>(87.3F); bits >= 61; bits -= 61) {
      feeder.add(-std::bit_cast<float>(bits));
    }
    for (std::uint32_t bits = 0; bits <= std::bit_cast<std::uint32_t>(88.7228F); bits += 61) {
      feeder.add(std::bit_cast<float>(bits));
    }
    feeder.add(88.7228F);
    feeder.add(88.5F);
    feeder.finish();
    CAPTURE(worst_x);
    CHECK(worst <= 1.5);
  }

  TEST_CASE("exp_vec saturates to infinity and zero and keeps NaN") {
    const float inf = std::numeric_limits<float>::infinity();
    Vec x{};
    x[0] = 88.75F;
    x[1] = inf;
    x[2] = -87.5F;
    x[3] = -inf;
    x[4] = std::nanf("");
    const Vec y = kernels::exp_vec(x);
    CHECK(y[0] == inf);
    CHECK(y[1] == inf);
    CHECK(y[2] == 0.0F);
    CHECK(y[3] == 0.0F);
    CHECK(std::isnan(y[4]));
  }
  // Every 61st float of [-87.3, 88.72] again, which includes the small magnitudes near 0 where
  // e^x - 1 would lose every digit to cancellation (expm1_vec replaced libmvec's expm1 for ELU
  // and SELU).
  TEST_CASE("expm1_vec is within 2 ulp of expm1 from -87.3 to the largest finite result") {
    double worst = 0;
    float worst_x = 0;
    RegisterFeeder feeder([&](const Vec& x, int count) {
      const Vec y = kernels::expm1_vec(x);
      for (int i = 0; i < count; ++i) {
        const double exact = std::expm1(static_cast<double>(x[i]));
        const double error = std::abs(static_cast<double>(y[i]) - exact) / ulp_at(exact);
        if (!(error <= worst)) {
          worst = error;
          worst_x = x[i];
        }
      }
    });
    for (std::uint32_t bits = std::bit_cast<std::uint32_t>(87.3F); bits >= 61; bits -= 61) {
      feeder.add(-std::bit_cast<float>(bits));
    }
    for (std::uint32_t bits = 0; bits <= std::bit_cast<std::uint32_t>(88.7228F); bits += 61) {
      feeder.add(std::bit_cast<float>(bits));
    }
    for (const float x : {88.7228F, 88.5F, 17.0F, -17.0F, 1e-30F, -1e-30F, 0.0F, -0.0F}) {
      feeder.add(x);
    }
    feeder.finish();
    CAPTURE(worst_x);
    CHECK(worst <= 2.0);
  }

  TEST_CASE("expm1_vec saturates to infinity and -1 and keeps -0 and NaN") {
    const float inf = std::numeric_limits<float>::infinity();
    Vec x{};
    x[0] = 88.75F;
    x[1] = inf;
    x[2] = -87.5F;
    x[3] = -inf;
    x[4] = std::nanf("");
    x[5] = -0.0F;
    const Vec y = kernels::expm1_vec(x);
    CHECK(y[0] == inf);
    CHECK(y[1] == inf);
    CHECK(y[2] == -1.0F);
    CHECK(y[3] == -1.0F);
    CHECK(std::isnan(y[4]));
    CHECK(y[5] == 0.0F);
    CHECK(std::signbit(y[5]));
  }
}

}  // namespace runner::test
