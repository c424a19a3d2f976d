#pragma once
// tanh on a Vec of kLanes floats as a rational function (no library call): libmvec's tanhf
// took 2.2 ns a value, most of a LeNet-style convolution's time. Inline: as a call it took 1.27
// ns a value, inlined 1.11.
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {
namespace tanh_detail {

// x limited to [lo, hi] by one minps and one maxps (GCC does not fuse a comparison and a select
// into one); their unordered case returns the second operand, x: NaN passes.
inline Vec clamp(Vec x, float lo, float hi) {
  const Vec l = Vec{} + lo;
  const Vec h = Vec{} + hi;
#if defined(__AVX512F__)
  // The masked forms with every lane set are the same minps and maxps; the unmasked ones trip
  // GCC 12's -Wmaybe-uninitialized on their _mm512_undefined_ps (GCC bug 105593) when tuned
  // for Intel's AVX-512 cores.
  constexpr __mmask16 kAll = 0xFFFF;
  const __m512 hv = reinterpret_cast<__m512>(h);
  const __m512 lv = reinterpret_cast<__m512>(l);
  const __m512 at_most = _mm512_mask_min_ps(hv, kAll, hv, reinterpret_cast<__m512>(x));
  return reinterpret_cast<Vec>(_mm512_mask_max_ps(lv, kAll, lv, at_most));
#elif defined(__AVX__)
  const __m256 at_most = _mm256_min_ps(reinterpret_cast<__m256>(h), reinterpret_cast<__m256>(x));
  return reinterpret_cast<Vec>(_mm256_max_ps(reinterpret_cast<__m256>(l), at_most));
#else
  const Vec at_most = h < x ? h : x;
  return l > at_most ? l : at_most;
#endif
}

}  // namespace tanh_detail

// tanh(x) within 6 ulp (tests/reference/tanh_rational.py derives the coefficients and
// measures the error); |result| <= 1, a tiny x comes back unchanged, NaN stays NaN.
inline Vec tanh_vec(Vec x) {
  // From 9 on, the rational below evaluates to 1 or just above (clamped to 1 at the end), as
  // tanh rounds to 1 from 9.011; the clamp also keeps x^2 in the fitted range.
  constexpr float kSaturation = 9.0F;
  const Vec c = tanh_detail::clamp(x, -kSaturation, kSaturation);
  const Vec s = c * c;
  // x * P(s) / Q(s), P(0) = Q(0) = 1: every coefficient is positive, so Horner's steps never
  // cancel.
  Vec p = Vec{} + 1.338377853e-08F;
  p = p * s + 2.063548709e-05F;
  p = p * s + 3.497439437e-03F;
  p = p * s + 1.338267326e-01F;
  p = p * s + 1.0F;
  Vec q = Vec{} + 7.790048357e-07F;
  q = q * s + 3.288486041e-04F;
  q = q * s + 2.588429488e-02F;
  q = q * s + 4.671599269e-01F;
  q = q * s + 1.0F;
  return tanh_detail::clamp(c * p / q, -1.0F, 1.0F);
}

}  // namespace runner::kernels
