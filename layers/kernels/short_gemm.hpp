#pragma once
// The forward product of convolutions with short patches (k <= kShortGemmMaxK taps), as the
// first convolution of an image model (k = 3 * 3 * 1): the library's blocking does not pay off
// there (dnnl_sgemm ran the reference model's first layer at 39 GFLOP/s on 2 threads), while the
// kernel's few rows fit in registers and each output pixel is a handful of vector multiply-adds.
// Single-threaded. The weight gradient is in conv2d_in_place.cpp.
namespace runner::kernels {

constexpr long kShortGemmMaxK = 16;
constexpr long kShortGemmMaxN = 64;

// Whether the kernel below takes k taps and n filters.
bool short_gemm_applies(long n, long k);

// C[m x n] = A[m x k] * B[k x n] for a convolution whose patches (the rows of A) are read in
// place instead of copied out (im2col): C has one row per output pixel (i, j) of a rows x cols
// block (m = rows * cols), and that pixel's tap kk is image[i * row_stride + j * col_stride +
// taps[kk]] (image zero-padded so every tap exists); B is the kernel, k x n, row-major. Then,
// while each row is still in registers, adds `bias` (n floats) unless null and applies ReLU when
// `relu`.
void conv_short_k(long rows, long cols, long row_stride, long col_stride, const float* image,
                  const long* taps, long n, long k, const float* b, float* c,
                  const float* bias = nullptr, bool relu = false);

}  // namespace runner::kernels
