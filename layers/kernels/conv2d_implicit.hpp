#pragma once
// Convolutions as an implicit GEMM: each output pixel's patch is read where it lies in the input,
// tap by tap, into a register block of six pixels by up to 64 filters, and only the taps that
// land inside the image are multiplied. im2col copied every patch first and multiplied the
// zeros of the padding too: on a 7x7 input, a 3x3 kernel of stride 2 with "same" padding takes
// 31% of its patch entries from the padding.
#include <vector>

#include "layers/kernels/activations.hpp"
#include "layers/kernels/conv2d.hpp"

namespace runner::kernels {

// Whether implicit_conv_forward takes this convolution: filters a multiple of the vector width
// and at least kImplicitForwardMinChannels input channels (a tap of a float or two is the
// in-place kernels' job, conv2d_in_place.hpp). Its weight gradient and the input gradient below
// need kImplicitMinChannels: on LeNet-5's 5x5 layer from 6 channels the implicit forward took
// 0.42 ms against im2col + GEMM's 0.60, but its weight gradient 0.95 against 0.78 (batch 32, 2
// threads).
constexpr long kImplicitMinChannels = 8;
constexpr long kImplicitForwardMinChannels = 4;
bool implicit_conv_applies(const Conv2DGeometry& g);

// The output pixels grouped by which taps land inside the image (the interior, each border, each
// corner), each group with its taps: worked out once per geometry. Output rows [first_row,
// last_row) only, if given (last_row -1: to the end), their y offsets from first_row's start.
struct ImplicitTap {
  long x_offset;  // floats from the pixel's origin (tap 0, 0, maybe outside the image)
  long w_offset;  // floats from the kernel's start to the tap's first row
};
struct ImplicitPixel {
  long x_origin;  // floats from the sample's start to tap 0, 0 (negative in the padding)
  long y_offset;  // floats from the sample's output to the pixel's
};
struct ImplicitGroup {
  std::vector<ImplicitTap> taps;
  std::vector<ImplicitPixel> pixels;
};
std::vector<ImplicitGroup> implicit_forward_groups(const Conv2DGeometry& g, long first_row = 0,
                                                   long last_row = -1);

// Every grouping the kernels below take for one geometry, worked out on its first use and kept
// for the calling thread, so steady-state training steps do not allocate: forward's, per output
// row pair (a fused 2x2 pooling), per band of band_rows output rows (batches too small to give
// each core a sample), and the input gradient's.
struct ImplicitPlan {
  std::vector<ImplicitGroup> forward;
  std::vector<std::vector<ImplicitGroup>> row_pairs;
  long band_rows = 0;
  std::vector<std::vector<ImplicitGroup>> bands;
  std::vector<ImplicitGroup> input_gradient;
};
constexpr long kImplicitBandsPerSample = 4;
const ImplicitPlan& implicit_plan(const Conv2DGeometry& g);

// y (count samples, or the groups' rows of one sample) = act(conv(x, w) + b), b may be null. Each
// output adds its taps in order, each tap's channels in order, whichever group, block or thread
// computes it; ReLU and linear are applied in registers, other activations in a pass over the
// samples' outputs after.
void implicit_conv_forward(const Conv2DGeometry& g, const std::vector<ImplicitGroup>& groups,
                           long count, const float* x, const float* w, const float* b,
                           Activation act, float* y);

// dw (patch x out_c, every float written) = the sum over the count samples' pixels of patch
// (x) delta: each tap over the pixels it reaches, groups in order, each group's pixels sample by
// sample; taps outside the image are never read. The groups are forward's.
void implicit_weight_gradient(const Conv2DGeometry& g, const std::vector<ImplicitGroup>& groups,
                              long count, const float* x, const float* delta, float* dw);

// The input gradient the same way, each input pixel gathering the output gradients that its
// taps reach (stride and padding skip the rest): input channels a multiple of the vector width,
// at least kImplicitMinChannels filters.
bool implicit_input_gradient_applies(const Conv2DGeometry& g);
std::vector<ImplicitGroup> implicit_input_gradient_groups(const Conv2DGeometry& g);
// The kernel with each tap's matrix transposed, (k_h, k_w, out_c, in_c), as the input gradient
// reads it.
void transpose_kernel(const Conv2DGeometry& g, const float* w, float* w_transposed);
// dx (count samples, every float written) from the output gradient delta (the activation's
// derivative applied); each input adds its taps in order, each tap's filters in order.
void implicit_input_gradient(const Conv2DGeometry& g, const std::vector<ImplicitGroup>& groups,
                             long count, const float* delta, const float* w_transposed, float* dx);

}  // namespace runner::kernels
