#pragma once
// Batch normalization over the last axis of a (rows x channels) matrix: NHWC images are
// (batch * height * width) rows. Statistics are summed in fixed chunks of rows, then the chunks
// in order (in double), so every result is bitwise the same on any thread count.
#include <cstddef>
#include <type_traits>

#include "layers/kernels/pointwise.hpp"

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
// value); with `relu`, max(0, that): a following ReLU applied in the same pass; `then`, another
// following activation layer's function, applied to each chunk of rows while it is in cache
// (pointwise_forward_here: the bits of that layer run apart). Null scale and shift: no affine
// (nor relu, nor then), only the sum below.
//
// Then, with an addend (inference: a residual block's Add fused into the convolution before it,
// Layer::fuse_sum), y + addend, and max(0, .) with sum_relu: the Add's and its ReLU's bits. The
// addend lies at y's offsets: addend[i] is added to y[i] (rows_from moves it with the rows).
struct ChannelAffine {
  const float* scale;
  const float* shift;
  bool relu = false;
  PointwiseOp then{};  // linear: none
  const float* addend = nullptr;
  bool sum_relu = false;

  // This affine for the rows starting `offset` floats into y.
  [[nodiscard]] ChannelAffine rows_from(long offset) const {
    ChannelAffine at = *this;
    at.addend = addend != nullptr ? addend + offset : nullptr;
    return at;
  }
};

// The affine over rows [0, rows) of (rows x channels), on this thread. batch_norm_apply runs it
// over chunks of rows; a convolution followed by inference-mode batch normalization runs it on
// each chunk of its output while that is in cache (the same code: bitwise the same values).
// The addend, if any, is that of row 0 (ChannelAffine::rows_from).
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
  float* dx;             // written; may be null (left to the layer before, or not needed)
  // dx's per-channel coefficients (BatchNormInputGradient), 3 * channels floats: mean_dy, then
  // mean_dy_xhat, then factor. Required when dx is written or the layer before evaluates it
  // (backward fusion); may be null otherwise.
  float* dx_coefficients = nullptr;
};

// Gradients of training-mode batch normalization (batch statistics depend on x).
void batch_norm_backward(const BatchNormGeometry& g, const BatchNormBackward& t, double* scratch);

// dz = dy * f'(z), f = affine.then, where z = x * scale + shift is recomputed as forward
// computed it and y = f(z) is the activation's output: the output gradient of a normalization
// whose following activation it fused (not ReLU: BatchNormBackward::relu takes that in its
// own passes), with the bits of that activation's layer run apart. dz may be dy.
void fused_activation_gradient(const BatchNormGeometry& g, const ChannelAffine& affine,
                               const float* x, const float* y, const float* dy, float* dz);

// Training-mode normalization's input gradient as a function of its output gradient dy and its
// input x, evaluated by a convolution before it where that reads its own output gradient (one
// pass less over memory each way, and no dx tensor):
//   dx = factor[c] * (dy * pass - mean_dy[c] - (x - mean[c]) * inv_std[c] * mean_dy_xhat[c])
// where pass is 1 where a fused ReLU let the gradient through (x * relu_scale[c] +
// relu_shift[c] > 0), else 0, and always 1 without one. batch_norm_backward's own dx is
// computed by the same code (batch_norm_input_gradient_rows): fused or not, the same bits.
struct BatchNormInputGradient {
  const float* dy = nullptr;
  const float* relu_scale = nullptr;  // both null without a fused ReLU
  const float* relu_shift = nullptr;
  const float* mean = nullptr;
  const float* inv_std = nullptr;
  const float* mean_dy = nullptr;
  const float* mean_dy_xhat = nullptr;
  const float* factor = nullptr;
};

// dx of BatchNormInputGradient for rows [first_row, first_row + row_count) of (rows x channels):
// x and norm.dy are whole tensors, read from first_row; dx gets the row_count rows. With x_relu, x
// is a ReLU's output and dx is taken through it too (0 where x is not above 0). A convolution that
// is not Winograd evaluates it on each chunk of its output gradient while the chunk is in cache.
void batch_norm_input_gradient_rows(const BatchNormInputGradient& norm, long channels,
                                    long first_row, long row_count, const float* x, bool x_relu,
                                    float* dx);

// One channel's (or one register of channels') coefficients of BatchNormInputGradient.
template <typename F>
struct BatchNormGradientLanes {
  F relu_scale, relu_shift, mean, inv_std, mean_dy, mean_dy_xhat, factor;
};

// x * scale + shift: what forward normalizes with, and where a fused ReLU's mask comes from. One
// expression for both, so both round it alike (the same fused multiply-add or none).
template <typename F>
inline F affine_input(const F& x, const F& scale, const F& shift) {
  return x * scale + shift;
}

// 1 where a fused ReLU let the gradient through (its output above 0), else 0: dy is multiplied
// by it, as the ReLU's backward computes.
template <typename F>
inline F relu_passes(const F& y) {
  if constexpr (std::is_same_v<F, float>) {
    return y > 0.0F ? 1.0F : 0.0F;
  } else {
    return y > 0.0F ? F{} + 1.0F : F{};
  }
}

// xhat = (x - mean) * inv_std: the normalized input, as both the column sums and dx use it.
template <typename F>
inline F normalized_input(const F& x, const BatchNormGradientLanes<F>& k) {
  return (x - k.mean) * k.inv_std;
}

// The normalization's output gradient, through the fused ReLU when kRelu.
template <bool kRelu, typename F>
inline F batch_norm_output_gradient(const F& dy, const F& x, const BatchNormGradientLanes<F>& k) {
  if constexpr (kRelu) {
    return dy * relu_passes(affine_input(x, k.relu_scale, k.relu_shift));
  } else {
    return dy;
  }
}

// dx of BatchNormInputGradient for one value or register.
template <bool kRelu, typename F>
inline F batch_norm_input_gradient(const F& dy, const F& x, const BatchNormGradientLanes<F>& k) {
  const F xhat = normalized_input(x, k);
  return k.factor *
         (batch_norm_output_gradient<kRelu>(dy, x, k) - k.mean_dy - xhat * k.mean_dy_xhat);
}

}  // namespace runner::kernels
