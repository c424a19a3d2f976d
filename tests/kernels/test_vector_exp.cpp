#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>

#include "layers/kernels/vector_exp.hpp"
#include "tests/support/vector_accuracy.hpp"

namespace runner::test {

using kernels::kLanes;
using kernels::Vec;

namespace {
// The largest error in ulp of `vec` against `exact` (in double) over every 61st float of
// [-87.3, 88.72], both ends included, and `extra`; *worst_x gets where it is.
template <typename VecFn, typename ExactFn>
double worst_ulp(VecFn vec, ExactFn exact, std::initializer_list<float> extra, float* worst_x) {
  double worst = 0;
  RegisterFeeder feeder([&](const Vec& x, int count) {
    const Vec y = vec(x);
    for (int i = 0; i < count; ++i) {
      const double want = exact(static_cast<double>(x[i]));
      const double error = std::abs(static_cast<double>(y[i]) - want) / ulp_at(want);
      if (!(error <= worst)) {
        worst = error;
        *worst_x = x[i];
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
  for (const float x : extra) {
    feeder.add(x);
  }
  feeder.finish();
  return worst;
}
}  // namespace

TEST_SUITE("vector_exp") {
  // exp_vec within its documented ulp up to the largest finite result (it returned infinity
  // from 88.38, where 2^n needed an exponent of 128).
  TEST_CASE("exp_vec is within 1.5 ulp of exp up to the largest finite result") {
    float worst_x = 0;
    const double worst = worst_ulp([](const Vec& x) { return kernels::exp_vec(x); },
                                   [](double x) { return std::exp(x); }, {88.5F}, &worst_x);
    CAPTURE(worst_x);
    CHECK(worst <= 1.5);
  }

  // The same floats include the small magnitudes near 0 where e^x - 1 would lose every digit
  // to cancellation (expm1_vec replaced libmvec's expm1 for ELU and SELU).
  TEST_CASE("expm1_vec is within 2 ulp of expm1 from -87.3 to the largest finite result") {
    float worst_x = 0;
    const double worst = worst_ulp([](const Vec& x) { return kernels::expm1_vec(x); },
                                   [](double x) { return std::expm1(x); },
                                   {88.5F, 17.0F, -17.0F, 1e-30F, -1e-30F, 0.0F, -0.0F}, &worst_x);
    CAPTURE(worst_x);
    CHECK(worst <= 2.0);
  }

  // Past the finite range: e^x is infinity or 0, e^x - 1 infinity or -1; NaN stays NaN, and -0
  // stays -0 in expm1 (as std::expm1).
  TEST_CASE("exp_vec and expm1_vec saturate and keep NaN and expm1_vec keeps -0") {
    const float inf = std::numeric_limits<float>::infinity();
    const float in[] = {88.75F, inf, -87.5F, -inf, std::nanf(""), -0.0F};
    Vec x{};
    for (int i = 0; i < 6; ++i) {  // (clang takes no address of a vector's element)
      x[i] = in[i];
    }
    const Vec e = kernels::exp_vec(x);
    const Vec m = kernels::expm1_vec(x);
    const float want_exp[] = {inf, inf, 0.0F, 0.0F};
    const float want_expm1[] = {inf, inf, -1.0F, -1.0F};
    for (int i = 0; i < 4; ++i) {
      CAPTURE(in[i]);
      CHECK(e[i] == want_exp[i]);
      CHECK(m[i] == want_expm1[i]);
    }
    CHECK(std::isnan(e[4]));
    CHECK(std::isnan(m[4]));
    CHECK(m[5] == 0.0F);
    CHECK(std::signbit(m[5]));
  }
}

}  // namespace runner::test
