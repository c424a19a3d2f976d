#include "layers/kernels/point_products.hpp"

#include <cassert>

#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

namespace {

// kRows tiles by NV vectors of outputs: up to 24 accumulators, NV vectors of U's row and a
// broadcast, within AVX-512's 32 registers.
template <int kRows, int NV>
void products(long points, long k, const float* v, long v_stride, const float* u, float* p,
              long p_stride) {
  constexpr long n = NV * kLanes;
  for (long xi = 0; xi < points; ++xi) {
    const float* __restrict a = v + xi * v_stride;
    const float* __restrict b = u + xi * k * n;
    Vec acc[kRows][NV] = {};
    for (long kk = 0; kk < k; ++kk, b += n) {
      Vec row[NV];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        row[j] = load_full(b + j * kLanes);
      }
#pragma GCC unroll 8
      for (int i = 0; i < kRows; ++i) {
        const float s = a[i * k + kk];
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) {
          acc[i][j] += s * row[j];
        }
      }
    }
    float* c = p + xi * p_stride;
#pragma GCC unroll 8
    for (int i = 0; i < kRows; ++i) {
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        store_full(acc[i][j], c + i * n + j * kLanes);
      }
    }
  }
}

template <int kRows>
void products_any_n(long points, long k, long n, const float* v, long v_stride, const float* u,
                    float* p, long p_stride) {
  switch (n / kLanes) {
    case 1:
      return products<kRows, 1>(points, k, v, v_stride, u, p, p_stride);
    case 2:
      return products<kRows, 2>(points, k, v, v_stride, u, p, p_stride);
    case 3:
      return products<kRows, 3>(points, k, v, v_stride, u, p, p_stride);
    default:
      return products<kRows, 4>(points, k, v, v_stride, u, p, p_stride);
  }
}

// G's rows [r0, r0 + R) (4 at most: 16 accumulators with NV = 4) += A[:, r0 + r]^T B.
template <int R, int NV>
void gradient_rows(long rows, long k, const float* a, const float* b, float* g) {
  constexpr long n = NV * kLanes;
  Vec acc[R][NV];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      acc[r][j] = load_full(g + r * n + j * kLanes);
    }
  }
  for (long t = 0; t < rows; ++t) {
    Vec row[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      row[j] = load_full(b + t * n + j * kLanes);
      // Keep the row in a register: GCC otherwise folds the load into each of the R
      // multiply-adds, R loads instead of one, and the loop waits on the load ports.
      asm("" : "+v"(row[j]));
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const float s = a[t * k + r];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        acc[r][j] += s * row[j];
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) {
      store_full(acc[r][j], g + r * n + j * kLanes);
    }
  }
}

template <int NV>
void gradient_products(long points, long rows, long k, const float* a, long a_stride,
                       const float* b, long b_stride, float* g) {
  constexpr long n = NV * kLanes;
  constexpr long kBlock = 4;
  for (long xi = 0; xi < points; ++xi) {
    const float* ax = a + xi * a_stride;
    const float* bx = b + xi * b_stride;
    float* gx = g + xi * k * n;
    long r0 = 0;
    for (; r0 + kBlock <= k; r0 += kBlock) {
      gradient_rows<kBlock, NV>(rows, k, ax + r0, bx, gx + r0 * n);
    }
    switch (k - r0) {
      case 1:
        gradient_rows<1, NV>(rows, k, ax + r0, bx, gx + r0 * n);
        break;
      case 2:
        gradient_rows<2, NV>(rows, k, ax + r0, bx, gx + r0 * n);
        break;
      case 3:
        gradient_rows<3, NV>(rows, k, ax + r0, bx, gx + r0 * n);
        break;
      default:
        break;
    }
  }
}

}  // namespace

void point_gradient_products(long points, long rows, long k, long n, const float* a, long a_stride,
                             const float* b, long b_stride, float* g) {
  assert(point_products_apply(n));
  switch (n / kLanes) {
    case 1:
      return gradient_products<1>(points, rows, k, a, a_stride, b, b_stride, g);
    case 2:
      return gradient_products<2>(points, rows, k, a, a_stride, b, b_stride, g);
    case 3:
      return gradient_products<3>(points, rows, k, a, a_stride, b, b_stride, g);
    default:
      return gradient_products<4>(points, rows, k, a, a_stride, b, b_stride, g);
  }
}

bool point_products_apply(long n) {
  return n > 0 && n % kLanes == 0 && n <= 4 * kLanes;
}

void point_products(long points, long rows, long k, long n, const float* v, long v_stride,
                    const float* u, float* p, long p_stride) {
  assert(point_products_apply(n) && rows >= 1 && rows <= kPointProductRows);
  switch (rows) {
    case 1:
      return products_any_n<1>(points, k, n, v, v_stride, u, p, p_stride);
    case 2:
      return products_any_n<2>(points, k, n, v, v_stride, u, p, p_stride);
    case 3:
      return products_any_n<3>(points, k, n, v, v_stride, u, p, p_stride);
    case 4:
      return products_any_n<4>(points, k, n, v, v_stride, u, p, p_stride);
    case 5:
      return products_any_n<5>(points, k, n, v, v_stride, u, p, p_stride);
    default:
      return products_any_n<6>(points, k, n, v, v_stride, u, p, p_stride);
  }
}

}  // namespace runner::kernels
