#pragma once
// GEMMs whose inner dimension k is short (k <= kShortGemmMaxK), as in the first convolution of
// an image model (k = 3 * 3 * 1 taps): the library's blocking does not pay off there (dnnl_sgemm
// ran the reference model's first layer at 39 GFLOP/s on 2 threads), while B's few rows fit in
// L1 and each output row is a handful of vector multiply-adds. Row-major, single-threaded.
// (The transposed product, the weight gradient, stays with dnnl_sgemm: a version of it here
// kept its accumulators in memory and was slower, 270 us against 185 us per batch.)
namespace runner::kernels {

constexpr long kShortGemmMaxK = 16;
constexpr long kShortGemmMaxN = 64;

// Whether the kernels below take k and n.
bool short_gemm_applies(long n, long k);

// C[m x n] = A[m x k] * B[k x n]; lda = k, ldb = ldc = n. Then, while each row is still in
// registers, adds `bias` (n floats) unless null and applies ReLU when `relu`.
void gemm_short_k(long m, long n, long k, const float* a, const float* b, float* c,
                  const float* bias = nullptr, bool relu = false);

// The same product for a convolution whose patches are read in place instead of copied out
// (im2col): C has one row per output pixel (i, j) of a rows x cols block, and that pixel's tap kk
// is image[i * row_stride + j * col_stride + taps[kk]] (image zero-padded so every tap exists).
void conv_short_k(long rows, long cols, long row_stride, long col_stride, const float* image,
                  const long* taps, long n, long k, const float* b, float* c,
                  const float* bias = nullptr, bool relu = false);

}  // namespace runner::kernels
