#include "layers/kernels/point_products.hpp"

#include <cassert>
#include <span>
#include <type_traits>

#include "layers/kernels/constant_dispatch.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

namespace {

// A row of n = NV * kLanes (+ 8 with kTail) floats: NV Vecs, then with AVX-512 an 8-float tail
// (24, 40 or 56 channels; AVX2's Vec is 8 floats, so it never has one).
#if defined(__AVX512F__)
using Tail = float __attribute__((vector_size(8 * sizeof(float))));
#else
using Tail = Vec;  // unused: no row has a tail
#endif
constexpr int kTailLanes = 8;

template <int NV, bool kTail>
constexpr long row_floats() {
  return NV * kLanes + (kTail ? kTailLanes : 0);
}

// acc[r][j] += a[r * a_row + t * a_step] * B[t][j] for t = 0, 1, ... steps - 1 in order, B's
// rows b_row floats apart (and tail[r] for B's last 8 columns with kTail): rank-one updates of
// an R x NV block of accumulators, the register kernel both products below run on.
template <int R, int NV, bool kTail = false>
inline void rank_one_updates(long steps, const float* __restrict a, long a_row, long a_step,
                             const float* __restrict b, long b_row, Vec (&acc)[R][NV],
                             Tail (&tail)[R]) {
  for (long t = 0; t < steps; ++t, a += a_step, b += b_row) {
    Vec row[NV];
    Tail row_tail{};
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      row[j] = load_full(b + j * kLanes);
#if defined(__AVX512F__)
      // Keep the row in a register: GCC otherwise may fold the load into each of the R
      // multiply-adds, R loads instead of one, and the loop waits on the load ports. (With AVX2
      // pinning the ymm measured slower: docs/performance.md, 2026-12-03.)
      asm("" : "+v"(row[j]));
#endif
    }
    if constexpr (kTail) {
      row_tail = load_full<Tail>(b + NV * kLanes);
      asm("" : "+v"(row_tail));
    }
#pragma GCC unroll 24
    for (int r = 0; r < R; ++r) {
      const float s = a[r * a_row];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        acc[r][j] += s * row[j];
      }
      if constexpr (kTail) {
        tail[r] += s * row_tail;
      }
    }
  }
}

template <int R, bool kTail>
inline void load_tails(const float* m, long m_row, Tail (&tail)[R]) {
  if constexpr (kTail) {
    for (int r = 0; r < R; ++r) {
      tail[r] = load_full<Tail>(m + r * m_row);
    }
  }
}

template <int R, bool kTail>
inline void store_tails(const Tail (&tail)[R], float* m, long m_row) {
  if constexpr (kTail) {
    for (int r = 0; r < R; ++r) {
      store_full(tail[r], m + r * m_row);
    }
  }
}

// kRows tiles by NV vectors of outputs: up to 24 accumulators, NV vectors of U's row and a
// broadcast, within AVX-512's 32 registers (AVX2: two vectors of columns at a time). A row with
// a tail (at most three Vecs before it) is one block.
// Points: the points' count and their indices (AllPoints, or a list).
template <int kRows, int NV, bool kTail, typename Points>
void products(const Points& points, long k, const float* v, long v_stride, const float* u, float* p,
              long p_stride) {
  constexpr long n = row_floats<NV, kTail>();
  constexpr int kBlock = kTail ? NV : column_block<NV>();
  for (long i = 0; i < points.count; ++i) {
    const long xi = points[i];
    for (int j0 = 0; j0 < NV; j0 += kBlock) {
      Vec acc[kRows][kBlock] = {};
      Tail tail[kRows] = {};
      rank_one_updates<kRows, kBlock, kTail>(k, v + xi * v_stride, k, 1,
                                             u + xi * k * n + j0 * kLanes, n, acc, tail);
      store_rows(acc, p + xi * p_stride + j0 * kLanes, n);
      store_tails<kRows, kTail>(tail, p + xi * p_stride + NV * kLanes, n);
    }
  }
}

// G's rows [r0, r0 + R) (gradient_row_block at most) += A[:, r0 + r]^T B.
template <int R, int NV, bool kTail>
void gradient_rows(long rows, long k, const float* a, const float* b, float* g, Accumulate mode) {
  constexpr long n = row_floats<NV, kTail>();
  constexpr int kBlock = kTail ? NV : column_block<NV>();
  for (int j0 = 0; j0 < NV; j0 += kBlock) {
    Vec acc[R][kBlock] = {};
    Tail tail[R] = {};
    if (mode == Accumulate::kAdd) {
      load_rows(g + j0 * kLanes, n, acc);
      load_tails<R, kTail>(g + NV * kLanes, n, tail);
    }
    rank_one_updates<R, kBlock, kTail>(rows, a, 1, k, b + j0 * kLanes, n, acc, tail);
    store_rows(acc, g + j0 * kLanes, n);
    store_tails<R, kTail>(tail, g + NV * kLanes, n);
  }
}

// Rows of G per register block of gradient_rows: with AVX-512, up to 24 accumulators (R x NV,
// a tail counting as one) beside NV vectors of B's row and a broadcast; each step then loads
// R + NV values for R * NV multiply-adds. Four rows of two vectors loaded 6 values per 8
// multiply-adds, so the loads, not the multiply-adds, set the pace. (AVX2: a Vec is two
// registers; four rows fill its 16.)
template <int NV>
constexpr int gradient_row_block() {
#if defined(__AVX512F__)
  return NV <= 2 ? 12 : (NV == 3 ? 8 : 6);
#else
  return 4;
#endif
}

template <int NV, bool kTail, typename Points>
void gradient_products(const Points& points, long rows, long k, const float* a, long a_stride,
                       const float* b, long b_stride, float* g, Accumulate mode) {
  constexpr long n = row_floats<NV, kTail>();
  constexpr int kBlock = gradient_row_block<NV + (kTail ? 1 : 0)>();
  for (long i = 0; i < points.count; ++i) {
    const long xi = points[i];
    const float* ax = a + xi * a_stride;
    const float* bx = b + xi * b_stride;
    float* gx = g + xi * k * n;
    long r0 = 0;
    for (; r0 + kBlock <= k; r0 += kBlock) {
      gradient_rows<kBlock, NV, kTail>(rows, k, ax + r0, bx, gx + r0 * n, mode);
    }
    if (r0 < k) {  // the last rows, fewer than a block
      with_constant<kBlock - 1>(k - r0, [&](auto tail) {
        gradient_rows<decltype(tail)::value, NV, kTail>(rows, k, ax + r0, bx, gx + r0 * n, mode);
      });
    }
  }
}

// fn(NV, kTail) for n = NV Vecs and, with AVX-512, an 8-float tail (point_products_apply).
template <typename Fn>
void with_row_shape(long n, const Fn& fn) {
  with_constant<kMaxVecs>(n / kLanes, [&](auto nv) {
    if (n % kLanes != 0) {
      if constexpr (decltype(nv)::value < kMaxVecs) {
        fn(nv, std::true_type{});
      }
    } else {
      fn(nv, std::false_type{});
    }
  });
}

// Points 0, 1, ... count - 1.
struct AllPoints {
  long count;
  long operator[](long i) const { return i; }
};

// The points list[0], list[1], ... list[count - 1].
struct ListedPoints {
  const int* list;
  long count;
  long operator[](long i) const { return list[i]; }
};

template <typename Points>
void products_of(const Points& points, long rows, long k, long n, const float* v, long v_stride,
                 const float* u, float* p, long p_stride) {
  assert(point_products_apply(n) && rows >= 1 && rows <= kPointProductRows);
  with_constant<kPointProductRows>(rows, [&](auto row_count) {
    with_row_shape(n, [&](auto nv, auto tail) {
      products<decltype(row_count)::value, decltype(nv)::value, decltype(tail)::value>(
          points, k, v, v_stride, u, p, p_stride);
    });
  });
}

template <typename Points>
void gradient_products_of(const Points& points, long rows, long k, long n, const float* a,
                          long a_stride, const float* b, long b_stride, float* g, Accumulate mode) {
  assert(point_products_apply(n));
  with_row_shape(n, [&](auto nv, auto tail) {
    gradient_products<decltype(nv)::value, decltype(tail)::value>(points, rows, k, a, a_stride, b,
                                                                  b_stride, g, mode);
  });
}

}  // namespace

void point_gradient_products(long points, long rows, long k, long n, const float* a, long a_stride,
                             const float* b, long b_stride, float* g, Accumulate mode) {
  gradient_products_of(AllPoints{points}, rows, k, n, a, a_stride, b, b_stride, g, mode);
}

void point_gradient_products(std::span<const int> points, long rows, long k, long n, const float* a,
                             long a_stride, const float* b, long b_stride, float* g,
                             Accumulate mode) {
  gradient_products_of(ListedPoints{points.data(), static_cast<long>(points.size())}, rows, k, n, a,
                       a_stride, b, b_stride, g, mode);
}

bool point_products_apply(long n) {
  // With AVX-512 also 24, 40 and 56: Vecs and an 8-float tail.
  const bool tail = kLanes == 16 && n % kTailLanes == 0 && n > kLanes;
  return n > 0 && n <= kMaxVecs * kLanes && (n % kLanes == 0 || tail);
}

void point_products(long points, long rows, long k, long n, const float* v, long v_stride,
                    const float* u, float* p, long p_stride) {
  products_of(AllPoints{points}, rows, k, n, v, v_stride, u, p, p_stride);
}

void point_products(std::span<const int> points, long rows, long k, long n, const float* v,
                    long v_stride, const float* u, float* p, long p_stride) {
  products_of(ListedPoints{points.data(), static_cast<long>(points.size())}, rows, k, n, v,
              v_stride, u, p, p_stride);
}

}  // namespace runner::kernels
