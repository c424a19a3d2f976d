#include "layers/kernels/vector_exp.hpp"

#include <cstdint>
#include <cstring>

namespace runner::kernels {
namespace {

using IntVec = std::int32_t __attribute__((vector_size(kLanes * sizeof(std::int32_t))));

Vec splat(float v) {
  return Vec{} + v;
}

}  // namespace

Vec exp_vec(Vec x) {
  constexpr float kHi = 88.7228F;
  constexpr float kLo = -87.3365F;
  constexpr float kLog2e = 1.44269504088896341F;
  // ln 2 split so that n * kLn2Hi is exact for the n that occur.
  constexpr float kLn2Hi = 0.693359375F;
  constexpr float kLn2Lo = -2.12194440e-4F;
  const Vec clamped = x > kHi ? splat(kHi) : (x < kLo ? splat(kLo) : x);
  // n = round(x / ln 2), as floor(x * log2e + 0.5).
  const Vec t = clamped * kLog2e + 0.5F;
  IntVec n = __builtin_convertvector(t, IntVec);
  n += __builtin_convertvector(n, Vec) > t;  // truncation rounded negatives up (true is -1)
  const Vec nf = __builtin_convertvector(n, Vec);
  const Vec r = (clamped - nf * kLn2Hi) - nf * kLn2Lo;
  // Minimax polynomial of (e^r - 1 - r) / r^2 on the reduced range.
  Vec p = splat(1.9875691500e-4F);
  p = p * r + 1.3981999507e-3F;
  p = p * r + 8.3334519073e-3F;
  p = p * r + 4.1665795894e-2F;
  p = p * r + 1.6666665459e-1F;
  p = p * r + 5.0000001201e-1F;
  const Vec e = p * (r * r) + r + 1.0F;
  // 2^n as 2^(n/2) * 2^(n - n/2), each built as a float's exponent: n reaches 128 below the
  // clamp (from x = 88.38, where e^x is still finite), one exponent of 128 would be infinity.
  const IntVec half = n >> 1;
  const IntVec bits_low = (half + 127) << 23;
  const IntVec bits_high = (n - half + 127) << 23;
  Vec scale_low;
  Vec scale_high;
  std::memcpy(&scale_low, &bits_low, sizeof(scale_low));
  std::memcpy(&scale_high, &bits_high, sizeof(scale_high));
  Vec y = (e * scale_low) * scale_high;
  y = x > kHi ? splat(__builtin_inff()) : y;
  y = x < kLo ? splat(0.0F) : y;
  return x != x ? x : y;  // NaN in, NaN out
}

Vec erf_vec(Vec x, Vec* gaussian) {
  constexpr float kP = 0.3275911F;
  constexpr float kA1 = 0.254829592F;
  constexpr float kA2 = -0.284496736F;
  constexpr float kA3 = 1.421413741F;
  constexpr float kA4 = -1.453152027F;
  constexpr float kA5 = 1.061405429F;
  const Vec ax = x < 0.0F ? -x : x;
  const Vec t = 1.0F / (ax * kP + 1.0F);
  Vec poly = splat(kA5);
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
