#pragma once
// 2x2, 3x3 and 5x5 stride-1 convolution by Winograd's minimal filtering (Lavin & Gray 2016),
// NHWC. Output tiles of m x m (m = 2 or 4) are computed from alpha x alpha input tiles (alpha =
// m + k - 1): the tiles and the kernel are transformed, multiplied point by point over channels
// (alpha^2 GEMMs), and transformed back. F(2x2,3x3) does 16 multiplications where the direct
// convolution does 36 per 4 outputs; F(4x4,3x3) does 36 where it does 144; F(2x2,5x5), on the
// same 6x6 tiles and input transform as F(4x4,3x3), does 36 where it does 100; F(4x4,2x2) does
// 25 where it does 64.
//
// The backward pass is the exact adjoint of those steps (gradients of the transforms and GEMMs),
// so dW and dX are the gradients of what forward computed. Work is split into fixed chunks of
// samples; weight gradients are summed per chunk in the Winograd domain, the chunks are added in
// chunk order and transformed back once: results do not depend on the thread count.
#include <cstddef>

#include "layers/kernels/activations.hpp"
#include "layers/kernels/conv2d.hpp"

namespace runner::kernels {

// Whether Winograd can compute g: a 2x2, 3x3 or 5x5 kernel with stride 1 (any padding), undilated
// or dilated with a padding that is a multiple of the dilation. A dilated convolution runs on the
// phase images of its samples, read and written where they lie (conv2d_phases.hpp); every
// function below takes g itself and samples, never phase images.
bool winograd_applies(const Conv2DGeometry& g);
// The output tile for g: 4 (F(4x4,3x3)) when it needs fewer Winograd-domain products per sample
// than 2 (F(2x2,3x3)), as for every output of at least 3x3; else 2. 5x5 kernels: always 2; 2x2
// kernels: always 4.
long winograd_tile(const Conv2DGeometry& g);

// Workspace sizes (floats) for output tiles of `tile` x `tile` (2 or 4).
struct WinogradSizes {
  std::size_t weights;   // transformed kernel U (alpha^2 x in_c x out_c), then its transpose
  std::size_t inputs;    // transformed input V for max_batch samples (kept for backward)
  std::size_t partials;  // weight and bias gradients per group of chunks (backward)
};
WinogradSizes winograd_sizes(const Conv2DGeometry& g, long tile, long max_batch);
// Whether training's forward keeps a batch's V for backward (it fits the cores' L2); else
// backward transforms tensors.x again, a chunk at a time (the same values, bit for bit).
bool winograd_keeps_inputs(const Conv2DGeometry& g, long tile, long batch);

// The forward pass (conv2d.hpp's Conv2DForward). Writes u (the transformed kernel, and in
// training its transpose), which backward reads, and in training v (the transformed input) when
// the batch's fits the cores' L2; larger ones, and all in inference (v null), stay in a buffer
// of the thread, and backward transforms x again.
// With u_ready (inference only), u already holds the transform of tensors.w and is only read.
// F(4x4,3x3) computes a last tile of 1 or 2 outputs per row or column from 4 points of that row
// or column instead of 6 (F(2,3) on a subset of the same points, reading the same u): 16% fewer
// products on a 14x14 output, in forward and backward.
void winograd_forward(const Conv2DGeometry& g, long tile, Conv2DEpilogue epilogue,
                      const Conv2DForward& tensors, float* u, float* v, bool u_ready = false);

// What backward reads from forward and the scratch it may overwrite: u and v as forward wrote
// them (v is overwritten), `delta` (batch * out_size floats) and `partials`
// (winograd_sizes().partials).
struct WinogradWorkspace {
  const float* u = nullptr;
  float* v = nullptr;
  float* delta = nullptr;
  float* partials = nullptr;
};

// The backward pass after the matching forward (conv2d.hpp's Conv2DBackward; x is read unless
// forward kept V).
void winograd_backward(const Conv2DGeometry& g, long tile, Conv2DEpilogue epilogue,
                       const Conv2DBackward& tensors, const WinogradWorkspace& ws);

}  // namespace runner::kernels
