#pragma once
// Dense products whose shapes the library's blocking does not suit, with the rows in registers:
// few inputs (a tabular model's first layer, 30 features -> 512 units: dnnl_sgemm ran it at 85
// GFLOP/s on 2 threads; SeparableConv2D's pointwise map of 32 channels to 64) and few units (a
// binary or regression head, 512 -> 1 or 2: 15 GFLOP/s).
// Single-threaded: Dense splits the rows into tasks. Each output sums its products in input
// order, whichever rows a call gets, so results do not depend on the thread count.
#include "layers/kernels/activations.hpp"

namespace runner::kernels {

// y[rows x n] = act(x[rows x k] w[k x n] (+ b)); row-major, x's rows k floats apart, y's n.
// ReLU runs inside the kernels, the other activations in a pass over the call's rows.
struct DenseProduct {
  long rows, k, n;
  const float* x = nullptr;
  const float* w = nullptr;  // Keras' kernel layout (k x n); dense_few_units takes w^T (n x k)
  const float* b = nullptr;  // null without a bias
  float* y = nullptr;
};

// The few-inputs kernel: for k up to kFewInputsMaxK and n of at least one register.
constexpr long kFewInputsMaxK = 64;
bool dense_few_inputs_apply(long k, long n);
void dense_few_inputs(const DenseProduct& p, Activation act);

// The few-units kernel: n up to kFewUnitsMaxN, any k; p.w is the kernel transposed (n x k).
constexpr long kFewUnitsMaxN = 4;
bool dense_few_units_apply(long k, long n);
void dense_few_units(const DenseProduct& p, Activation act);

}  // namespace runner::kernels
