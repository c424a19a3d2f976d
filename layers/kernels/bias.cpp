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

}  // namespace runner::kernels
