#include "layers/kernels/bias.hpp"

namespace runner::kernels {

void add_bias_activate(float* y, const float* b, Activation act, long rows, long cols) {
  if (b != nullptr) {
    for (long r = 0; r < rows; ++r) {
      float* row = y + r * cols;
      for (long c = 0; c < cols; ++c) {
        row[c] += b[c];
      }
    }
  }
  activate(act, y, rows, cols);
}

void add_column_sums(const float* __restrict m, long rows, long cols, float* __restrict sums) {
  // Four rows are added pairwise before they meet the running sum: a quarter of the dependent
  // additions, in a fixed order (the same result on every run).
  long r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* __restrict a = m + r * cols;
    const float* __restrict b = a + cols;
    const float* __restrict c = b + cols;
    const float* __restrict d = c + cols;
    for (long j = 0; j < cols; ++j) {
      sums[j] += (a[j] + b[j]) + (c[j] + d[j]);
    }
  }
  for (; r < rows; ++r) {
    const float* __restrict row = m + r * cols;
    for (long j = 0; j < cols; ++j) {
      sums[j] += row[j];
    }
  }
}

namespace {
template <bool kRelu>
void masked_column_sums(const float* __restrict y, const float* __restrict dy,
                        float* __restrict delta, long rows, long cols, float* __restrict sums) {
  auto grad = [](float yv, float dyv) { return kRelu ? (yv > 0.0F ? dyv : 0.0F) : dyv; };
  // Four rows at a time, added in the same order as add_column_sums.
  long r = 0;
  for (; r + 4 <= rows; r += 4) {
    const long at = r * cols;
    const float* __restrict y0 = y + at;
    const float* __restrict y1 = y0 + cols;
    const float* __restrict y2 = y1 + cols;
    const float* __restrict y3 = y2 + cols;
    const float* __restrict g0 = dy + at;
    const float* __restrict g1 = g0 + cols;
    const float* __restrict g2 = g1 + cols;
    const float* __restrict g3 = g2 + cols;
    float* __restrict o0 = delta + at;
    float* __restrict o1 = o0 + cols;
    float* __restrict o2 = o1 + cols;
    float* __restrict o3 = o2 + cols;
    for (long j = 0; j < cols; ++j) {
      o0[j] = grad(y0[j], g0[j]);
      o1[j] = grad(y1[j], g1[j]);
      o2[j] = grad(y2[j], g2[j]);
      o3[j] = grad(y3[j], g3[j]);
      sums[j] += (o0[j] + o1[j]) + (o2[j] + o3[j]);
    }
  }
  for (; r < rows; ++r) {
    for (long j = 0; j < cols; ++j) {
      const long e = r * cols + j;
      delta[e] = grad(y[e], dy[e]);
      sums[j] += delta[e];
    }
  }
}
}  // namespace

void activation_backward_column_sums(Activation act, const float* y, const float* dy, float* delta,
                                     long rows, long cols, float* sums) {
  switch (act.fn) {
    case Activation::kRelu:
      return masked_column_sums<true>(y, dy, delta, rows, cols, sums);
    case Activation::kLinear:
      return masked_column_sums<false>(y, dy, delta, rows, cols, sums);
    default:
      activation_backward(act, y, dy, delta, rows, cols);
      add_column_sums(delta, rows, cols, sums);
  }
}

}  // namespace runner::kernels
