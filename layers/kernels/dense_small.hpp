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

// The same kernel on a block of p.n columns of a layer of `row_stride` units (w's and y's rows
// row_stride floats apart), as Dense's column tasks take them when the units outnumber the rows.
// dnnl_sgemm packed both operands on every call: the MLP's 512 -> 512 layer over 114 rows took
// 2.66 ms per 1000 rows there, 2.34 here (96% of the multiply-add peak; Zen 4, 2 threads). Up to
// kColumnBlockMaxK inputs, so a block's k x 64 slice of w (256 KB) stays in L2 (at 1800 inputs
// the library was 3% faster), and with AVX-512 only (dense_small.cpp).
constexpr long kColumnBlockMaxK = 1024;
bool dense_column_block_applies(long k);
void dense_column_block(const DenseProduct& p, long row_stride, Activation act);

// The few-units kernel: n up to kFewUnitsMaxN, any k; p.w is the kernel transposed (n x k).
constexpr long kFewUnitsMaxN = 4;
bool dense_few_units_apply(long k, long n);
void dense_few_units(const DenseProduct& p, Activation act);

}  // namespace runner::kernels
