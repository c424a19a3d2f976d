#include "layers/kernels/point_products.hpp"

#include <cassert>

#include "layers/kernels/constant_dispatch.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

namespace {

// acc[r][j] += a[r * a_row + t * a_step] * B[t][j] for t = 0, 1, ... steps - 1 in order, B's
// rows b_row floats apart: rank-one updates of an R x NV block of accumulators, the register
// kernel both products below run on.
template <int R, int NV>
inline void rank_one_updates(long steps, const float* __restrict a, long a_row, long a_step,
                             const float* __restrict b, long b_row, Vec (&acc)[R][NV]) {
  for (long t = 0; t < steps; ++t, a += a_step, b += b_row) {
    Vec row[NV];
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
#pragma GCC unroll 24
    for (int r = 0; r < R; ++r) {
      const float s = a[r * a_row];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        acc[r][j] += s * row[j];
      }
    }
  }
}

// kRows tiles by NV vectors of outputs: up to 24 accumulators, NV vectors of U's row and a
// broadcast, within AVX-512's 32 registers (AVX2: two vectors of columns at a time).
template <int kRows, int NV>
void products(long points, long k, const float* v, long v_stride, const float* u, float* p,
              long p_stride) {
  constexpr long n = NV * kLanes;
  constexpr int kBlock = column_block<NV>();
  for (long xi = 0; xi < points; ++xi) {
    for (int j0 = 0; j0 < NV; j0 += kBlock) {
      Vec acc[kRows][kBlock] = {};
      rank_one_updates(k, v + xi * v_stride, k, 1, u + xi * k * n + j0 * kLanes, n, acc);
      store_rows(acc, p + xi * p_stride + j0 * kLanes, n);
    }
  }
}

// G's rows [r0, r0 + R) (gradient_row_block at most) += A[:, r0 + r]^T B.
template <int R, int NV>
void gradient_rows(long rows, long k, const float* a, const float* b, float* g, Accumulate mode) {
  constexpr long n = NV * kLanes;
  constexpr int kBlock = column_block<NV>();
  for (int j0 = 0; j0 < NV; j0 += kBlock) {
    Vec acc[R][kBlock] = {};
    if (mode == Accumulate::kAdd) {
      load_rows(g + j0 * kLanes, n, acc);
    }
    rank_one_updates(rows, a, 1, k, b + j0 * kLanes, n, acc);
    store_rows(acc, g + j0 * kLanes, n);
  }
}

// Rows of G per register block of gradient_rows: with AVX-512, up to 24 accumulators (R x NV)
// beside NV vectors of B's row and a broadcast; each step then loads R + NV values for R * NV
// multiply-adds. Four rows of two vectors loaded 6 values per 8 multiply-adds, so the loads, not
// the multiply-adds, set the pace. (AVX2: a Vec is two registers; four rows fill its 16.)
template <int NV>
constexpr int gradient_row_block() {
#if defined(__AVX512F__)
  return NV <= 2 ? 12 : (NV == 3 ? 8 : 6);
#else
  return 4;
#endif
}

template <int NV>
void gradient_products(long points, long rows, long k, const float* a, long a_stride,
                       const float* b, long b_stride, float* g, Accumulate mode) {
  constexpr long n = NV * kLanes;
  constexpr int kBlock = gradient_row_block<NV>();
  for (long xi = 0; xi < points; ++xi) {
    const float* ax = a + xi * a_stride;
    const float* bx = b + xi * b_stride;
    float* gx = g + xi * k * n;
    long r0 = 0;
    for (; r0 + kBlock <= k; r0 += kBlock) {
      gradient_rows<kBlock, NV>(rows, k, ax + r0, bx, gx + r0 * n, mode);
    }
    if (r0 < k) {  // the last rows, fewer than a block
      with_constant<kBlock - 1>(k - r0, [&](auto tail) {
        gradient_rows<decltype(tail)::value, NV>(rows, k, ax + r0, bx, gx + r0 * n, mode);
      });
    }
  }
}

}  // namespace

void point_gradient_products(long points, long rows, long k, long n, const float* a, long a_stride,
                             const float* b, long b_stride, float* g, Accumulate mode) {
  assert(point_products_apply(n));
  with_constant<kMaxVecs>(n / kLanes, [&](auto nv) {
    gradient_products<decltype(nv)::value>(points, rows, k, a, a_stride, b, b_stride, g, mode);
  });
}

bool point_products_apply(long n) {
  return n > 0 && n % kLanes == 0 && n <= kMaxVecs * kLanes;
}

void point_products(long points, long rows, long k, long n, const float* v, long v_stride,
                    const float* u, float* p, long p_stride) {
  assert(point_products_apply(n) && rows >= 1 && rows <= kPointProductRows);
  with_constant<kPointProductRows>(rows, [&](auto row_count) {
    with_constant<kMaxVecs>(n / kLanes, [&](auto nv) {
      products<decltype(row_count)::value, decltype(nv)::value>(points, k, v, v_stride, u, p,
                                                                p_stride);
    });
  });
}

}  // namespace runner::kernels
