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

void add_column_sums(const float* m, long rows, long cols, float* sums) {
  for (long r = 0; r < rows; ++r) {
    const float* row = m + r * cols;
    for (long c = 0; c < cols; ++c) {
      sums[c] += row[c];
    }
  }
}

}  // namespace runner::kernels
