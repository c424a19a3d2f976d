#pragma once
// Per-channel bias helpers shared by Conv2D and Dense.
#include "layers/kernels/activations.hpp"

namespace runner::kernels {

// y[r][c] = act(y[r][c] + b[c]) for `rows` rows; b may be null.
void add_bias_activate(float* y, const float* b, Activation act, long rows, long cols);
// sums[c] += sum over rows of m[r][c], rows in order (deterministic).
void add_column_sums(const float* m, long rows, long cols, float* sums);

// delta = dy * f'(x) (activation_backward), then sums += delta's column sums
// (add_column_sums), in one pass for ReLU and linear, with the same results as the two calls.
void activation_backward_column_sums(Activation a, const float* y, const float* dy, float* delta,
                                     long rows, long cols, float* sums);

}  // namespace runner::kernels
