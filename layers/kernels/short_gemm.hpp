#pragma once
// The forward product of convolutions with short patches (k <= kShortGemmMaxK taps), as the
// first convolution of an image model (k = 3 * 3 * 1): the library's blocking does not pay off
// there (dnnl_sgemm ran the reference model's first layer at 39 GFLOP/s on 2 threads), while the
// kernel's few rows fit in registers and each output pixel is a handful of vector multiply-adds.
// Single-threaded. The weight gradient is in conv2d_in_place.cpp.
namespace runner::kernels {

// 27 taps: 3x3 on RGB and 5x5 on one channel, the usual first layers. (A 5x5 layer of 64 filters
// on Fashion-MNIST through im2col + dnnl_sgemm: 2.7-3.6 ms forward per step at batch 64; in
// place 0.6-0.8 ms.)
constexpr long kShortGemmMaxK = 27;
constexpr long kShortGemmMaxN = 64;
// Longer patches, as the 7x7 stem of a ResNet-style model on one channel (49 taps) or 5x5 on RGB
// (75), take the same kernels with the length known at run time only (the ones above are compiled
// for each length).
constexpr long kLongPatchMaxK = 81;
constexpr long kLongPatchMaxChannels = 3;  // RGB

// Whether the kernel below takes k taps and n filters.
bool short_gemm_applies(long n, long k);

// The patches of a rows x cols block of output pixels, read in place instead of copied out
// (im2col): pixel (i, j)'s tap kk is image[i * row_stride + j * col_stride + taps[kk]] (the image
// zero-padded so every tap exists).
struct InPlacePatches {
  const float* image = nullptr;
  const long* taps = nullptr;
  long rows = 0, cols = 0;
  long row_stride = 0, col_stride = 0;
};

// C[m x n] = A[m x k] * B[k x n], where A's m = rows * cols rows are `patches` and B is the
// kernel, k x n, row-major. Then, while each row is still in registers, adds `bias` (n floats)
// unless null and applies ReLU when `relu`.
void conv_short_k(const InPlacePatches& patches, long n, long k, const float* b, float* c,
                  const float* bias = nullptr, bool relu = false);

}  // namespace runner::kernels
