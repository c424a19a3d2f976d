#pragma once
// Batch normalization over the last axis of a (rows x channels) matrix: NHWC images are
// (batch * height * width) rows. Statistics are summed in fixed chunks of rows, then the chunks
// in order (in double), so every result is bitwise the same on any thread count.
#include <cstddef>

namespace runner::kernels {

struct BatchNormGeometry {
  long rows;
  long channels;
};

// Doubles of scratch the statistics and backward need.
std::size_t batch_norm_scratch_size(const BatchNormGeometry& g);

// mean[c] and the biased variance var[c] of column c.
void batch_norm_statistics(const BatchNormGeometry& g, const float* x, float* mean, float* var,
                           double* scratch);

// Per channel y = x * scale[c] + shift[c] (normalization folded into one multiply-add per
// value); with `relu`, max(0, that): a following ReLU applied in the same pass.
struct ChannelAffine {
  const float* scale;
  const float* shift;
  bool relu = false;
};

// The affine over rows [0, rows) of (rows x channels), on this thread. batch_norm_apply runs it
// over chunks of rows; a convolution followed by inference-mode batch normalization runs it on
// each chunk of its output while that is in cache (the same code: bitwise the same values).
void channel_affine_rows(long rows, long channels, const ChannelAffine& affine, const float* x,
                         float* y);  // y may be x

// The affine over the whole matrix, in parallel.
void batch_norm_apply(const BatchNormGeometry& g, const float* x, const ChannelAffine& affine,
                      float* y);

struct BatchNormBackward {
  const float* x;
  const float* dy;
  // Non-null when a ReLU was fused after the normalization: the scale and shift forward
  // normalized with (its relu flag is not read). dy is then the ReLU's output gradient, taken
  // through the ReLU here where x * scale + shift > 0, computed as forward computed it: the mask
  // of the ReLU's output, without reading that tensor (twice per backward).
  const ChannelAffine* relu;
  const float* mean;     // the batch statistics forward used
  const float* inv_std;  // 1 / sqrt(var + epsilon)
  const float* gamma;    // null: scale off (gamma = 1)
  float* dgamma;         // added to; may be null
  float* dbeta;          // added to; may be null
  float* dx;             // written; may be null
};

// Gradients of training-mode batch normalization (batch statistics depend on x).
void batch_norm_backward(const BatchNormGeometry& g, const BatchNormBackward& t, double* scratch);

}  // namespace runner::kernels
