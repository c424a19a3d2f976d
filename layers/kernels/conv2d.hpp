#pragma once
// 2-D convolution over NHWC tensors as im2col + GEMM, or for short patches read in place
// (conv2d_in_place.hpp). The kernel layout is Keras' (k_h, k_w, in_c, out_c), which is exactly
// the im2col weight matrix [k_h*k_w*in_c, out_c].
#include <cstddef>

#include "layers/kernels/activations.hpp"
#include "layers/kernels/batch_norm.hpp"

namespace runner::kernels {

struct Conv2DGeometry {
  long in_h, in_w, in_c;
  long out_h, out_w, out_c;
  long k_h, k_w;
  long stride_h, stride_w;
  long pad_top, pad_left;
  long dilation_h = 1, dilation_w = 1;  // taps ky * dilation_h rows apart (not Winograd: see
                                        // conv2d_phases.hpp)
  [[nodiscard]] long patch() const { return k_h * k_w * in_c; }
  [[nodiscard]] long pixels() const { return out_h * out_w; }
  [[nodiscard]] long in_size() const { return in_h * in_w * in_c; }
  [[nodiscard]] long out_size() const { return out_h * out_w * out_c; }
};

// What a forward pass writes: the convolution's output, or, fused with a following
// MaxPooling2D(pool 2x2, strides 2, valid), the maxima of its 2x2 windows (out_h / 2 by
// out_w / 2 per channel, rounded down) and, for backward, which output of each window won (one
// float per pooled value). Backward then takes the pooled tensor's gradient. Values and
// gradients are bitwise the ones the two layers compute apart (layers/kernels/fused_pool.hpp).
enum class Pooling { kNone, kMax2x2 };

// The fused output's size per sample.
inline long pooled_size(const Conv2DGeometry& g) {
  return (g.out_h / 2) * (g.out_w / 2) * g.out_c;
}

// What follows the convolution inside the same kernel: the activation, and a fused pooling
// (which requires a linear or ReLU activation) or, in inference, a fused per-channel affine
// (a following BatchNormalization, with its ReLU if it has one) applied to each chunk of
// finished outputs while they are in cache, bitwise as the normalization's own pass.
struct Conv2DEpilogue {
  Activation act = Activation::kLinear;
  Pooling pooling = Pooling::kNone;
  const ChannelAffine* affine = nullptr;
  // What every kernel asserts: a fused pooling only after a linear or ReLU activation, and not
  // with an affine.
  [[nodiscard]] bool valid() const {
    return pooling == Pooling::kNone ? true : affine == nullptr && linear_or_relu(act);
  }
};

// The tensors of a forward pass over `batch` samples: y = act(conv(x, w) + b), or its pooled
// maxima with Pooling::kMax2x2. b is null without a bias; winners (one float per pooled value,
// which window output won) is null in inference, where no backward follows.
struct Conv2DForward {
  long batch = 0;
  const float* x = nullptr;
  const float* w = nullptr;
  const float* b = nullptr;
  float* y = nullptr;
  float* winners = nullptr;
};

// The tensors of a backward pass: y and dy are forward's output and its gradient (the pooled
// ones with Pooling::kMax2x2, then with forward's winners). Adds to dw and db (db null without a
// bias); writes dx unless it is null (a first layer needs no input gradient). With
// `normalization` (Pooling::kNone, linear or ReLU), dy is not read: the output
// gradient is the following batch normalization's input gradient, evaluated from its
// description and y (its input).
struct Conv2DBackward {
  long batch = 0;
  const float* x = nullptr;  // forward's input (1x1 convolutions read it as their patches)
  const float* w = nullptr;
  const float* y = nullptr;
  const float* dy = nullptr;
  const float* winners = nullptr;
  float* dw = nullptr;
  float* db = nullptr;
  float* dx = nullptr;
  const BatchNormInputGradient* normalization = nullptr;
};

// Rows of one sample's patches: col[pixel][(ky, kx, c)], zeros where the window leaves x.
void im2col(const Conv2DGeometry& g, const float* x, float* col);
// The rows of output rows [first_row, last_row) only (col starts at first_row's patches).
void im2col_rows(const Conv2DGeometry& g, const float* x, long first_row, long last_row,
                 float* col);
// Adds each patch row back into x (x must be zeroed by the caller).
void col2im_add(const Conv2DGeometry& g, const float* col, float* x);

// The forward pass. `col` (conv2d_col_size floats) keeps for backward the padded samples of the
// convolutions conv2d_in_place.hpp takes (short patches, linear or ReLU), or the patches of
// those on fewer than 8 channels (cheaper kept than built again); null in inference. Other
// convolutions build each task's patches in a buffer of its thread, read back from cache
// (backward builds them again from x).
void conv2d_forward(const Conv2DGeometry& g, Conv2DEpilogue epilogue, const Conv2DForward& t,
                    float* col);

// Floats of the `col` workspace for batches up to max_batch (0 when nothing is kept).
std::size_t conv2d_col_size(const Conv2DGeometry& g, Activation act, long max_batch);

// Floats of the `partials` workspace conv2d_backward needs for batches up to max_batch.
std::size_t conv2d_partials_size(const Conv2DGeometry& g, long max_batch);

// What backward reads from forward and the scratch it may overwrite: `col` as forward left it,
// `delta` (batch * out_size floats) and `partials` (conv2d_partials_size). Backward also reads
// Conv2DBackward::x, except for convolutions read in place.
struct Conv2DWorkspace {
  const float* col = nullptr;
  float* delta = nullptr;
  float* partials = nullptr;
};

// The backward pass after the matching forward. Each fixed chunk of samples computes its own
// weight and bias gradient, then the chunks are summed in chunk order: the same result on any
// thread count.
void conv2d_backward(const Conv2DGeometry& g, Conv2DEpilogue epilogue, const Conv2DBackward& t,
                     const Conv2DWorkspace& ws);

}  // namespace runner::kernels
