#pragma once
// exp, expm1 and erf on a Vec of kLanes floats, written with GCC's vector extensions (no library
// call), for the activations that need them at memory speed (sigmoid, swish, elu, selu, gelu).
// Every lane is computed the same way, so results do not depend on where a value sits in its
// block. Inline: as calls, exp cost sigmoid 3x the time of the inlined tanh (vector_tanh.hpp),
// and libmvec's expm1 (a call through memory) cost elu 4x.
#include <cstdint>
#include <cstring>

#include "layers/kernels/lanes.hpp"

namespace runner::kernels {
namespace exp_detail {

using IntVec = std::int32_t __attribute__((vector_size(kLanes * sizeof(std::int32_t))));

inline Vec splat(float v) {
  return Vec{} + v;
}

// Past these e^x is infinite in float, below them it is 0 (exp) or expm1 is -1.
constexpr float kHi = 88.7228F;
constexpr float kLo = -87.3365F;

// x = n ln 2 + r with r in [-ln2/2, ln2/2] (Cody-Waite: ln 2 split so that n * kLn2Hi is exact
// for the n that occur), and q = e^r - 1 from a minimax polynomial of (e^r - 1 - r) / r^2.
struct Reduced {
  IntVec n;
  Vec q;
};

inline Reduced reduce(Vec x) {
  constexpr float kLog2e = 1.44269504088896341F;
  constexpr float kLn2Hi = 0.693359375F;
  constexpr float kLn2Lo = -2.12194440e-4F;
  const Vec clamped = x > kHi ? splat(kHi) : (x < kLo ? splat(kLo) : x);
  // n = round(x / ln 2), as floor(x * log2e + 0.5).
  const Vec t = clamped * kLog2e + 0.5F;
  IntVec n = __builtin_convertvector(t, IntVec);
  n += __builtin_convertvector(n, Vec) > t;  // truncation rounded negatives up (true is -1)
  const Vec nf = __builtin_convertvector(n, Vec);
  const Vec r = (clamped - nf * kLn2Hi) - nf * kLn2Lo;
  Vec p = splat(1.9875691500e-4F);
  p = p * r + 1.3981999507e-3F;
  p = p * r + 8.3334519073e-3F;
  p = p * r + 4.1665795894e-2F;
  p = p * r + 1.6666665459e-1F;
  p = p * r + 5.0000001201e-1F;
  return {n, p * (r * r) + r};
}

// 2^n as the product low * high of two floats built as exponents: n reaches 128 below the
// clamp (from x = 88.38, where e^x is still finite), and one exponent of 128 would be infinity.
struct Scale {
  Vec low, high;
};

inline Scale power_of_two(IntVec n) {
  const IntVec half = n >> 1;
  const IntVec bits_low = (half + 127) << 23;
  const IntVec bits_high = (n - half + 127) << 23;
  Scale s;
  std::memcpy(&s.low, &bits_low, sizeof(s.low));
  std::memcpy(&s.high, &bits_high, sizeof(s.high));
  return s;
}

}  // namespace exp_detail

// e^x with about 1 ulp of error; 0 below -87.3, inf above 88.7, NaN stays NaN.
inline Vec exp_vec(Vec x) {
  using namespace exp_detail;
  const Reduced red = reduce(x);
  const Scale s = power_of_two(red.n);
  Vec y = ((red.q + 1.0F) * s.low) * s.high;
  y = x > kHi ? splat(__builtin_inff()) : y;
  y = x < kLo ? splat(0.0F) : y;
  return x != x ? x : y;  // NaN in, NaN out
}

// e^x - 1 within 2 ulp (1.55 at worst, at x = 0.354, where 2q + 1 doubles q's error), also
// near 0 where e^x - 1 would cancel: 2^n q + (2^n - 1) (2^n - 1 is exact for the n of x in
// [-17, 17], and q alone for n = 0); -1 below -87.3, inf above 88.7; -0 and NaN stay.
inline Vec expm1_vec(Vec x) {
  using namespace exp_detail;
  const Reduced red = reduce(x);
  const Scale s = power_of_two(red.n);
  const Vec scale = s.low * s.high;  // infinite for n = 128, where `big` is taken
  const Vec near = scale * red.q + (scale - 1.0F);
  // From n = 25 on, the - 1 is below half an ulp of the result.
  const Vec big = ((red.q + 1.0F) * s.low) * s.high;
  Vec y = red.n > 64 ? big : near;
  y = x > kHi ? splat(__builtin_inff()) : y;
  y = x < kLo ? splat(-1.0F) : y;
  y = x == 0.0F ? x : y;  // -0 stays -0 (the reduction's r is +0 there)
  return x != x ? x : y;
}

// erf(x) with an absolute error below 1.5e-7 (Abramowitz and Stegun 7.1.26, the form oneDNN's
// gelu_erf uses): enough for gelu, where it is always added to 1.
// gaussian, when not null, receives exp(-x^2), which the formula computes anyway.
inline Vec erf_vec(Vec x, Vec* gaussian = nullptr) {
  constexpr float kP = 0.3275911F;
  constexpr float kA1 = 0.254829592F;
  constexpr float kA2 = -0.284496736F;
  constexpr float kA3 = 1.421413741F;
  constexpr float kA4 = -1.453152027F;
  constexpr float kA5 = 1.061405429F;
  const Vec ax = x < 0.0F ? -x : x;
  const Vec t = 1.0F / (ax * kP + 1.0F);
  Vec poly = exp_detail::splat(kA5);
  poly = poly * t + kA4;
  poly = poly * t + kA3;
  poly = poly * t + kA2;
  poly = poly * t + kA1;
  poly = poly * t;
  const Vec e = exp_vec(-(ax * ax));
  if (gaussian != nullptr) {
    *gaussian = e;
  }
  const Vec magnitude = 1.0F - poly * e;
  return x < 0.0F ? -magnitude : magnitude;
}

}  // namespace runner::kernels
