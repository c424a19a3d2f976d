#pragma once
// Convolutions with short patches (at most kShortGemmMaxK taps, at most kShortGemmMaxN filters,
// any element-wise activation), as the first layer of an image model, without im2col: each sample
// is copied once into a zero-padded image, and forward and the weight gradient read every pixel's
// patch in place from it. The arithmetic is the short-k kernel's (layers/kernels/short_gemm.hpp),
// in the same order, so results do not depend on which pass or thread computes them.
#include "layers/kernels/activations.hpp"
#include "layers/kernels/conv2d.hpp"
#include "layers/kernels/short_gemm.hpp"

namespace runner::kernels {

// Whether the kernels below take this convolution.
bool in_place_applies(const Conv2DGeometry& g, Activation act);

// Where a padded sample keeps its floats.
struct PaddedLayout {
  long height, width;           // pixels, padding included
  long sample_floats;           // height * width * in_c
  long row_stride, col_stride;  // floats from one output row's (column's) patch to the next
  long taps[kLongPatchMaxK];    // offset of each tap (ky, kx, c) from the patch's first
};
// The sizes for any convolution; the taps when the patch is short enough.
PaddedLayout padded_layout(const Conv2DGeometry& g);

// One sample x (in_h x in_w x in_c) into dst (layout.sample_floats floats), zeros around it.
void pad_sample(const Conv2DGeometry& g, const PaddedLayout& layout, const float* x, float* dst);

// Output rows [first_row, last_row) of a padded sample: act(conv + b), b may be null, into out
// ((last_row - first_row) * out_w * out_c floats).
void in_place_rows(const Conv2DGeometry& g, const PaddedLayout& layout, const float* image,
                   long first_row, long last_row, const float* w, const float* b, Activation act,
                   float* out);

// A padded sample's output max-pooled 2x2 (Pooling::kMax2x2): y and winners (unless null) get
// pooled_size(g) floats, bitwise what in_place_rows and the pooling kernel give.
void in_place_pooled(const Conv2DGeometry& g, const PaddedLayout& layout, const float* image,
                     const float* w, const float* b, Activation act, float* y, float* winners);

// The output gradient as the weight gradient reads it: `delta` (count * out_size floats, the
// activation's derivative applied); or `dy` read through ReLU's derivative at `relu_y` (linear
// when null), so that no pass writes delta first.
struct OutputGradient {
  const float* delta = nullptr;
  const float* dy = nullptr;
  const float* relu_y = nullptr;
};

// For `count` padded samples: dw (patch x out_c) = the sum over their pixels, in order, of
// patch (x) delta; sums (out_c) += delta's column sums in add_column_sums' order (bias.hpp).
void in_place_weight_gradient(const Conv2DGeometry& g, const PaddedLayout& layout,
                              const float* images, long count, const OutputGradient& gradient,
                              float* dw, float* sums);

}  // namespace runner::kernels
