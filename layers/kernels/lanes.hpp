#pragma once
// A register of floats as one value (GCC vector extension: 16 floats with AVX-512, 8 with
// AVX2), with loads and stores of partial blocks for sizes that are not a multiple of it. Used
// by the kernels that vectorize over channels by hand (winograd, short_gemm).
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "layers/kernels/constant_dispatch.hpp"

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace runner::kernels {

// One Vec is one register: 16 floats with AVX-512, 8 otherwise. (GCC builds a 16-float vector
// without AVX-512 through the stack, piece by piece: the reference model trained at a twentieth
// of its speed on an AVX2 machine.)
#if defined(__AVX512F__)
constexpr int kLanes = 16;
#else
constexpr int kLanes = 8;
#endif
using Vec = float __attribute__((vector_size(kLanes * sizeof(float))));

// The most output channels the register kernels take (short_gemm, the in-place convolutions,
// Winograd's point products), in Vecs.
constexpr int kMaxVecs = 64 / kLanes;

// How many Vecs of a row of outputs a register-blocked kernel keeps at once: six rows of four
// fit AVX-512's 32 registers; six rows of two, AVX2's 16.
#if defined(__AVX512F__)
constexpr int kVecsPerBlock = 4;
#else
constexpr int kVecsPerBlock = 2;
#endif

// The Vecs of an NV-Vec row in blocks that fit the registers: all NV, or kVecsPerBlock, or one.
template <int NV>
constexpr int column_block() {
  if (NV <= kVecsPerBlock) {
    return NV;
  }
  return NV % kVecsPerBlock == 0 ? kVecsPerBlock : 1;
}

// A Vec at any float's address: one unaligned vector move each way. (memcpy into a zeroed Vec
// under a branch, as load_lanes does for partial blocks, made GCC keep the kernels' tiles on the
// stack; a vector type with reduced alignment is what GCC wants, but clang's sanitizer checks it
// as 64-byte aligned.)
// (V: another vector type, such as point_products' 8-float tail.)
template <typename V = Vec>
inline V load_full(const float* src) {
  V v;
  std::memcpy(&v, src, sizeof(V));
  return v;
}

template <typename V>
inline void store_full(const V& v, float* dst) {
  std::memcpy(dst, &v, sizeof(V));
}

// Partial blocks move their floats in whole pieces: a memcpy of a run-time size is a library call
// (an AVX2 kernel with 6 filters spent 6% of its time in memmove), and a Vec filled through
// memory stalls its load on store forwarding. With AVX-512 the pieces are one masked move.
namespace lanes_detail {
#if defined(__AVX512F__)
inline __mmask16 mask_of(int lanes) {
  return static_cast<__mmask16>((1U << static_cast<unsigned>(lanes)) - 1U);
}
#elif defined(__AVX__)
// The first n (0 .. 3) floats at src, the rest zero.
inline __m128 load_short(const float* src, int n) {
  switch (n) {
    case 1:
      return _mm_load_ss(src);
    case 2:
      return _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(src)));
    case 3:
      return _mm_movelh_ps(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(src))),
                           _mm_load_ss(src + 2));
    default:
      return _mm_setzero_ps();
  }
}
// The first n (0 .. 3) floats of v into dst.
inline void store_short(__m128 v, int n, float* dst) {
  if (n >= 2) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), _mm_castps_si128(v));
    if (n == 3) {
      _mm_store_ss(dst + 2, _mm_movehl_ps(v, v));
    }
  } else if (n == 1) {
    _mm_store_ss(dst, v);
  }
}
#endif
}  // namespace lanes_detail

// `lanes` (<= kLanes) floats into a Vec, the rest zero. Full blocks, the usual case, are one
// vector load.
inline Vec load_lanes(const float* src, int lanes) {
  if (lanes == kLanes) {
    return load_full(src);
  }
#if defined(__AVX512F__)
  return _mm512_maskz_loadu_ps(lanes_detail::mask_of(lanes), src);
#elif defined(__AVX__)
  if (lanes >= 4) {
    return _mm256_set_m128(lanes_detail::load_short(src + 4, lanes - 4), _mm_loadu_ps(src));
  }
  return _mm256_set_m128(_mm_setzero_ps(), lanes_detail::load_short(src, lanes));
#else
  Vec v{};
  if (lanes > 0) {
    std::memcpy(&v, src, static_cast<std::size_t>(lanes) * sizeof(float));
  }
  return v;
#endif
}

// The first `lanes` floats of v into dst.
inline void store_lanes(const Vec& v, int lanes, float* dst) {
  if (lanes == kLanes) {
    store_full(v, dst);
    return;
  }
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(dst, lanes_detail::mask_of(lanes), v);
#elif defined(__AVX__)
  __m128 low = _mm256_castps256_ps128(v);
  if (lanes >= 4) {
    _mm_storeu_ps(dst, low);
    lanes_detail::store_short(_mm256_extractf128_ps(v, 1), lanes - 4, dst + 4);
  } else {
    lanes_detail::store_short(low, lanes, dst);
  }
#else
  if (lanes > 0) {
    std::memcpy(dst, &v, static_cast<std::size_t>(lanes) * sizeof(float));
  }
#endif
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

// Up to this many registers of channels at once in loops that keep one accumulator per register
// (depthwise convolution, global pooling), so their additions do not wait on each other.
constexpr int kVecsAtOnce = 4;

// Calls fn(NV, kFull, c0, lanes) (NV and kFull as integral constants) for the channels in groups
// of up to kMaxGroup full registers from c0, then a last partial register alone.
template <int kMaxGroup = kVecsAtOnce, typename Fn>
inline void for_each_register_group(long channels, const Fn& fn) {
  const long full = channels / kLanes;
  for (long v0 = 0; v0 < full; v0 += kMaxGroup) {
    const long group = full - v0 < kMaxGroup ? full - v0 : kMaxGroup;
    with_constant<kMaxGroup>(group,
                             [&](auto nv) { fn(nv, std::true_type{}, v0 * kLanes, kLanes); });
  }
  if (full * kLanes < channels) {
    fn(std::integral_constant<int, 1>{}, std::false_type{}, full * kLanes,
       static_cast<int>(channels - full * kLanes));
  }
}

// The R x NV register block of rows m_row floats apart at m, into acc and back (the register
// kernels' accumulators: point_products, conv2d_implicit).
template <int R, int NV>
inline void load_rows(const float* m, long m_row, Vec (&acc)[R][NV]) {
#pragma GCC unroll 24
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      acc[r][j] = load_full(m + r * m_row + j * kLanes);
    }
  }
}

template <int R, int NV>
inline void store_rows(const Vec (&acc)[R][NV], float* m, long m_row) {
#pragma GCC unroll 24
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      store_full(acc[r][j], m + r * m_row + j * kLanes);
    }
  }
}

// ReLU lane by lane as std::max(v, 0) computes it: a NaN stays NaN (TerminateOnNaN sees it).
inline Vec relu_lanes(const Vec& v) {
  return v < 0.0F ? Vec{} : v;
}

// acc[r][j] += scalar(r) * row[j]: one rank-one update of an R x NV register block (the register
// kernels' inner step: conv2d_implicit, dense_small).
template <int R, int NV, typename Scalar>
inline void rank_one_update(Vec (&acc)[R][NV], const Vec (&row)[NV], const Scalar& scalar) {
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const float s = scalar(r);
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      acc[r][j] += s * row[j];
    }
  }
}

// The block's epilogue: row r of acc, plus b (NV registers; null for none), through ReLU when
// `relu`, into dst(r). kFull false: one register of `lanes` columns.
template <bool kFull, int R, int NV, typename Dst>
inline void store_biased_rows(const Vec (&acc)[R][NV], const float* b, bool relu, int lanes,
                              const Dst& dst) {
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      Vec v = acc[r][j];
      if (b != nullptr) {
        v += load_block<kFull>(b + j * kLanes, lanes);
      }
      store_block<kFull>(relu ? relu_lanes(v) : v, lanes, dst(r) + j * kLanes);
    }
  }
}

// a * b + c, rounded once where the ISA has a fused multiply-add. Explicit because GCC's
// contraction of p * x + q * y may fuse either product: two inlined copies of one sum could then
// round differently (the in-place and the copied phase images of a dilated Winograd layer did).
inline Vec multiply_add(float a, const Vec& b, const Vec& c) {
#if defined(__AVX512F__)
  return _mm512_fmadd_ps(_mm512_set1_ps(a), b, c);
#elif defined(__FMA__)
  return _mm256_fmadd_ps(_mm256_set1_ps(a), b, c);
#else
  return a * b + c;
#endif
}

inline void add_lanes(const Vec& v, int lanes, float* dst) {
  store_lanes(load_lanes(dst, lanes) + v, lanes, dst);
}

}  // namespace runner::kernels
