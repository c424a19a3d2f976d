#pragma once
// Sixteen floats as one value (GCC vector extension: one AVX-512 register, or two AVX2 ones),
// with loads and stores of partial blocks for sizes that are not a multiple of 16. Used by the
// kernels that vectorize over channels by hand (winograd, short_gemm).
#include <cstddef>
#include <cstring>

namespace runner::kernels {

constexpr int kLanes = 16;
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));

// `lanes` (<= kLanes) floats into a Vec, the rest zero. Full blocks, the usual case, are one
// vector load.
inline Vec load_lanes(const float* src, int lanes) {
  Vec v{};
  if (lanes == kLanes) {
    std::memcpy(&v, src, sizeof(Vec));
  } else if (lanes > 0) {
    std::memcpy(&v, src, static_cast<std::size_t>(lanes) * sizeof(float));
  }
  return v;
}

// The first `lanes` floats of v into dst.
inline void store_lanes(const Vec& v, int lanes, float* dst) {
  if (lanes == kLanes) {
    std::memcpy(dst, &v, sizeof(Vec));
  } else if (lanes > 0) {
    std::memcpy(dst, &v, static_cast<std::size_t>(lanes) * sizeof(float));
  }
}

// ReLU lane by lane as std::max(v, 0) computes it: a NaN stays NaN (TerminateOnNaN sees it).
inline Vec relu_lanes(const Vec& v) {
  return v < 0.0F ? Vec{} : v;
}

inline void add_lanes(const Vec& v, int lanes, float* dst) {
  store_lanes(load_lanes(dst, lanes) + v, lanes, dst);
}

}  // namespace runner::kernels
