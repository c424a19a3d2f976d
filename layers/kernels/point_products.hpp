#pragma once
// Winograd's point-wise products for a few tiles at a time, P[xi] = V[xi] U[xi] for every point
// xi, with the tiles' results in registers: the products of six tiles fit in L1 and go straight
// into the output transform. One library GEMM per point over a whole chunk wrote them to a
// buffer that had left the cache by the time the output transform read it back. The reference
// model's second convolution, batch 32 on 1 thread: forward 1600 -> 1230 us, inference 52 -> 42
// ms per 1000 images (min of 7 runs, old and new binaries alternating).
#include <span>

namespace runner::kernels {

// Tiles per call (the micro-kernel's rows).
constexpr long kPointProductRows = 6;

// Whether the kernel takes n output channels: a multiple of a Vec (16 floats with AVX-512, 8
// with AVX2), or with AVX-512 24, 40 or 56; at most 64.
bool point_products_apply(long n);

// For xi in [0, points): P[xi] (rows x n) = V[xi] (rows x k) U[xi] (k x n), rows <= 6. V[xi]
// starts v_stride floats after V[xi - 1] (its rows k floats apart), U[xi] k * n floats after
// U[xi - 1], P[xi] p_stride floats after P[xi - 1] (its rows n floats apart).
void point_products(long points, long rows, long k, long n, const float* v, long v_stride,
                    const float* u, float* p, long p_stride);
// The same for the listed points only (each xi in `points` as above).
void point_products(std::span<const int> points, long rows, long k, long n, const float* v,
                    long v_stride, const float* u, float* p, long p_stride);

// How point_gradient_products treats G: add to it, or start it from zero (what G was is not
// read, so it needs no zeroing first; the same bits as adding to zeros).
enum class Accumulate { kAdd, kFromZero };

// The weight gradient's products: for xi in [0, points), G[xi] (k x n) += A[xi]^T B[xi],
// A[xi] (rows x k, rows k floats apart) starting a_stride floats after A[xi - 1], B[xi]
// (rows x n, rows n floats apart) b_stride floats after B[xi - 1], G[xi] k * n floats after
// G[xi - 1]. Each element adds the rows in order. n as point_products_apply.
void point_gradient_products(long points, long rows, long k, long n, const float* a, long a_stride,
                             const float* b, long b_stride, float* g,
                             Accumulate mode = Accumulate::kAdd);
// The same for the listed points only (each xi in `points` as above).
void point_gradient_products(std::span<const int> points, long rows, long k, long n, const float* a,
                             long a_stride, const float* b, long b_stride, float* g,
                             Accumulate mode = Accumulate::kAdd);

}  // namespace runner::kernels
