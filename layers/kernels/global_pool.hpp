#pragma once
// Global pooling over NHWC tensors: each sample's (pixels x channels) block to one value per
// channel. Parallel over samples; sums run in pixel order, so results never depend on threads.
#include <cstdint>

namespace runner::kernels {

struct GlobalPoolGeometry {
  long batch;
  long pixels;  // height * width
  long channels;
};

// y[n, c] = mean over pixels of x[n, p, c].
void global_avg_pool_forward(const GlobalPoolGeometry& g, const float* x, float* y);
// dx[n, p, c] = dy[n, c] / pixels.
void global_avg_pool_backward(const GlobalPoolGeometry& g, const float* dy, float* dx);
// y[n, c] = max over pixels; argmax (may be null: inference) records the first winning pixel.
void global_max_pool_forward(const GlobalPoolGeometry& g, const float* x, float* y,
                             std::int32_t* argmax);
// dx = dy scattered to the winners (dx fully written).
void global_max_pool_backward(const GlobalPoolGeometry& g, const float* dy,
                              const std::int32_t* argmax, float* dx);

}  // namespace runner::kernels
