#pragma once
// Sixteen floats as one value (GCC vector extension: one AVX-512 register, or two AVX2 ones),
// with loads and stores of partial blocks for sizes that are not a multiple of 16. Used by the
// kernels that vectorize over channels by hand (winograd, short_gemm).
#include <cstddef>
#include <cstring>
#include <type_traits>

namespace runner::kernels {

constexpr int kLanes = 16;
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));

// A Vec at any float's address: one unaligned vector move each way. (memcpy into a zeroed Vec
// under a branch, as load_lanes does for partial blocks, made GCC keep the kernels' tiles on the
// stack; a vector type with reduced alignment is what GCC wants, but clang's sanitizer checks it
// as 64-byte aligned.)
inline Vec load_full(const float* src) {
  Vec v;
  std::memcpy(&v, src, sizeof(Vec));
  return v;
}

inline void store_full(const Vec& v, float* dst) {
  std::memcpy(dst, &v, sizeof(Vec));
}

// `lanes` (<= kLanes) floats into a Vec, the rest zero. Full blocks, the usual case, are one
// vector load.
inline Vec load_lanes(const float* src, int lanes) {
  if (lanes == kLanes) {
    return load_full(src);
  }
  Vec v{};
  if (lanes > 0) {
    std::memcpy(&v, src, static_cast<std::size_t>(lanes) * sizeof(float));
  }
  return v;
}

// The first `lanes` floats of v into dst.
inline void store_lanes(const Vec& v, int lanes, float* dst) {
  if (lanes == kLanes) {
    store_full(v, dst);
  } else if (lanes > 0) {
    std::memcpy(dst, &v, static_cast<std::size_t>(lanes) * sizeof(float));
  }
}

// The same for a block known at compile time to be full (kFull) or not: kernels instantiate
// their loops twice, so the full blocks run without a test per load.
template <bool kFull>
inline Vec load_block(const float* src, int lanes) {
  if constexpr (kFull) {
    return load_full(src);
  } else {
    return load_lanes(src, lanes);
  }
}

template <bool kFull>
inline void store_block(const Vec& v, int lanes, float* dst) {
  if constexpr (kFull) {
    store_full(v, dst);
  } else {
    store_lanes(v, lanes, dst);
  }
}

template <bool kFull>
inline void add_block(const Vec& v, int lanes, float* dst) {
  store_block<kFull>(load_block<kFull>(dst, lanes) + v, lanes, dst);
}

// Calls fn(std::bool_constant<full>{}, c0, lanes) for each block of up to kLanes of `channels`
// channels: the full blocks first, then the partial one if any.
template <typename Fn>
inline void for_each_channel_block(long channels, const Fn& fn) {
  long c0 = 0;
  for (; c0 + kLanes <= channels; c0 += kLanes) {
    fn(std::true_type{}, c0, kLanes);
  }
  if (c0 < channels) {
    fn(std::false_type{}, c0, static_cast<int>(channels - c0));
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
