#pragma once
// Depthwise 2-D convolution over NHWC tensors: each input channel c has its own `multiplier`
// filters, and output channel c * multiplier + m is input channel c convolved with filter m.
// The kernel layout is Keras' (k_h, k_w, in_c, multiplier), so for one tap the weights of all
// output channels are contiguous and in output-channel order: the loops run over channels.
#include <cstddef>

#include "layers/kernels/activations.hpp"

namespace runner::kernels {

struct DepthwiseGeometry {
  long in_h, in_w, in_c;
  long out_h, out_w;
  long multiplier;
  long k_h, k_w;
  long stride_h, stride_w;
  long pad_top, pad_left;
  long dilation_h, dilation_w;
  [[nodiscard]] long out_c() const { return in_c * multiplier; }
  [[nodiscard]] long taps() const { return k_h * k_w; }
  [[nodiscard]] long in_size() const { return in_h * in_w * in_c; }
  [[nodiscard]] long out_size() const { return out_h * out_w * out_c(); }
};

// y = act(depthwise(x, w) + b) for `batch` samples; b may be null.
struct DepthwiseForward {
  long batch = 0;
  const float* x = nullptr;
  const float* w = nullptr;
  const float* b = nullptr;
  float* y = nullptr;
};

// x, y, dy as in forward; adds to dw and db (db null without a bias); writes dx unless null.
struct DepthwiseBackward {
  long batch = 0;
  const float* x = nullptr;
  const float* w = nullptr;
  const float* y = nullptr;
  const float* dy = nullptr;
  float* dw = nullptr;
  float* db = nullptr;
  float* dx = nullptr;
};

// Scratch of a backward pass: `delta` (batch * out_size floats) and `partials`
// (depthwise_partials_size).
struct DepthwiseWorkspace {
  float* delta = nullptr;
  float* partials = nullptr;
};

void depthwise_forward(const DepthwiseGeometry& g, Activation act, const DepthwiseForward& t);

std::size_t depthwise_partials_size(const DepthwiseGeometry& g, long max_batch);

// Fixed chunks of samples each sum their own weight and bias gradients, then the chunks are
// added in chunk order: the same bits on any thread count.
void depthwise_backward(const DepthwiseGeometry& g, Activation act, const DepthwiseBackward& t,
                        const DepthwiseWorkspace& ws);

}  // namespace runner::kernels
