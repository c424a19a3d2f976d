#pragma once
// A dilated convolution as an undilated one on phase images, as TensorFlow's atrous convolution
// (space_to_batch): with dilation d and stride 1, output row oy = py + d * i reads only input
// rows py + d * j, so each of the d_h x d_w phases (py, px) of the input is an image of its own,
// convolved with the same kernel undilated, and its output is the same phase of the output.
// Undilated, the phases can run as Winograd (a 3x3 kernel of dilation 2 on 28x28x32 at batch 64:
// 24.8 ms forward through the implicit GEMM on one thread, PyTorch 27.3).
//
// The phases of a sample are d_h * d_w consecutive images of the phase batch, in row-major phase
// order; every phase image has the size of the largest (phase 0), the smaller ones padded with
// zeros at the bottom and right, which is what the convolution's own padding would read there.
#include "layers/kernels/conv2d.hpp"

namespace runner::kernels {

// Whether g can run on phase images: dilation above 1 on an axis, stride 1, and padding a
// multiple of the dilation (so every output phase reads one input phase: "same" with odd
// kernels, and "valid").
bool phases_apply(const Conv2DGeometry& g);

// The undilated convolution of one phase image (the largest phase's sizes).
Conv2DGeometry phase_geometry(const Conv2DGeometry& g);

// Phase images per sample: dilation_h * dilation_w.
inline long phases_per_sample(const Conv2DGeometry& g) {
  return g.dilation_h * g.dilation_w;
}

// An NHWC tensor of `batch` samples of h x w x channels and its phase batch: dilation d_h x d_w,
// phase images of phase_h x phase_w.
struct PhaseLayout {
  long h, w, channels;
  long d_h, d_w;
  long phase_h, phase_w;
};
// g's input and output tensors (x and dx; y and dy) with their phase images.
PhaseLayout input_phases(const Conv2DGeometry& g);
PhaseLayout output_phases(const Conv2DGeometry& g);

// src (batch samples) into its phase batch (batch * d_h * d_w images), zeros where a phase image
// is larger than its phase.
void split_phases(const PhaseLayout& p, long batch, const float* src, float* phases);
// The phase batch back into batch samples (the padding rows and columns are dropped).
void merge_phases(const PhaseLayout& p, long batch, const float* phases, float* dst);

}  // namespace runner::kernels
