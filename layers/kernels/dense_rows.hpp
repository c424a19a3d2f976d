#pragma once
// A dense map applied to every row of a matrix: y[r] = act(x[r] W + b), the pointwise half of
// SeparableConv2D (a 1x1 convolution is this over all pixels). Rows are split into fixed
// blocks; the weight gradient sums per-block partials in block order, so the bits do not depend
// on the thread count.
#include <cstddef>

#include "layers/kernels/activations.hpp"

namespace runner::kernels {

struct DenseRowsGeometry {
  long rows, in, out;  // x is rows x in, w is in x out, y is rows x out
};

struct DenseRowsForward {
  const float* x = nullptr;
  const float* w = nullptr;
  const float* b = nullptr;  // null without a bias
  float* y = nullptr;
};

// Adds to dw and db (null without a bias); writes dx unless null. `delta` holds rows x out
// floats; `partials` dense_rows_partials_size.
struct DenseRowsBackward {
  const float* x = nullptr;
  const float* w = nullptr;
  const float* y = nullptr;
  const float* dy = nullptr;
  float* dw = nullptr;
  float* db = nullptr;
  float* dx = nullptr;
  float* delta = nullptr;
  float* partials = nullptr;
};

void dense_rows_forward(const DenseRowsGeometry& g, Activation act, const DenseRowsForward& t);
std::size_t dense_rows_partials_size(const DenseRowsGeometry& g);
void dense_rows_backward(const DenseRowsGeometry& g, Activation act, const DenseRowsBackward& t);

}  // namespace runner::kernels
