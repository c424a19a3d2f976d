#pragma once
// Max and average pooling over NHWC tensors. Forward records, per output, which input won (the
// first maximum in window order, as PyTorch does), so backward is a scatter.
#include <cstdint>

namespace runner::kernels {

struct Pool2DGeometry {
  long in_h, in_w, channels;
  long out_h, out_w;
  long pool_h, pool_w;
  long stride_h, stride_w;
  long pad_top, pad_left;  // padded positions never win (TF's "same" pooling)
  [[nodiscard]] long in_size() const { return in_h * in_w * channels; }
  [[nodiscard]] long out_size() const { return out_h * out_w * channels; }
};

// argmax holds, per output, the winning input's offset within its sample; null skips it
// (inference, where no backward follows).
void max_pool2d_forward(const Pool2DGeometry& g, long batch, const float* x, float* y,
                        std::int32_t* argmax);
// dx = scatter of dy to the winners (dx fully written).
void max_pool2d_backward(const Pool2DGeometry& g, long batch, const float* dy,
                         const std::int32_t* argmax, float* dx);

// y = mean of each window's valid taps (TensorFlow's "same" average pooling leaves padded
// positions out of the count, unlike PyTorch's default count_include_pad).
void avg_pool2d_forward(const Pool2DGeometry& g, long batch, const float* x, float* y);
// dx[tap] = sum over the windows holding it of dy / that window's valid count (dx fully written).
void avg_pool2d_backward(const Pool2DGeometry& g, long batch, const float* dy, float* dx);

}  // namespace runner::kernels
