#pragma once
// MaxPooling2D(2, strides 2, valid) fused into a convolution's output (Pooling::kMax2x2), on
// 16-channel blocks: a window's maximum and which of its four outputs won, and back, the four
// outputs' gradients from the pooled gradient. The comparisons are the pooling kernel's (window
// order top-left, top-right, bottom-left, bottom-right; only a strictly greater value wins), so
// fused and unfused layers give bitwise the same values and gradients.
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

// The winner's position in its window (0, 1, 2 or 3) per channel, kept as a float: a byte would
// be a quarter of the memory, but GCC turned each byte-to-float conversion back into 16 scalar
// ones (the first convolution's weight gradient took 0.46 ms per step instead of 0.30).
struct PooledLanes {
  Vec max;
  Vec winner;
};

// Maximum of the four outputs of 2x2 windows, in window order.
inline PooledLanes max_pool_window(const Vec& top_left, const Vec& top_right,
                                   const Vec& bottom_left, const Vec& bottom_right) {
  PooledLanes p{top_left, Vec{}};
  const Vec candidates[3] = {top_right, bottom_left, bottom_right};
  for (int k = 0; k < 3; ++k) {
    const auto wins = candidates[k] > p.max;
    p.max = wins ? candidates[k] : p.max;
    p.winner = wins ? Vec{} + static_cast<float>(k + 1) : p.winner;
  }
  return p;
}

// The gradient of window position k (0..3) from the pooled gradient `dpool`, through ReLU when
// `relu` (the winner's output is the pooled value): what the pooling layer's scatter followed by
// the activation's derivative give.
inline Vec unpool_window_gradient(const Vec& dpool, const Vec& pooled, const Vec& winner, int k,
                                  bool relu) {
  const Vec through = relu ? (pooled > 0.0F ? dpool : Vec{}) : dpool;
  return winner == static_cast<float>(k) ? through : Vec{};
}

}  // namespace runner::kernels
