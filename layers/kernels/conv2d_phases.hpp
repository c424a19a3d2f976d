#pragma once
// A dilated convolution as an undilated one on phase images, as TensorFlow's atrous convolution
// (space_to_batch): with dilation d and stride 1, output row oy = py + d * i reads only input
// rows py + d * j, so each of the d_h x d_w phases (py, px) of the input is an image of its own,
// convolved with the same kernel undilated, and its output is the same phase of the output.
// Undilated, the phases can run as Winograd (a 3x3 kernel of dilation 2 on 28x28x32 at batch 64:
// 24.8 ms forward through the implicit GEMM on one thread, PyTorch 27.3).
//
// The phase images are never copied out: the kernels read and write each one where it lies in
// the tensor, its pixels d_h rows and d_w columns apart (PhaseImages). (Splitting the input and
// the output gradient into a phase batch and merging the output and the input gradient back
// were 16% of a 28x28x32 dilated layer's training step.)
#include "layers/kernels/conv2d.hpp"

namespace runner::kernels {

// Whether g can run on phase images: dilation above 1 on an axis, stride 1, and padding a
// multiple of the dilation (so every output phase reads one input phase: "same" with odd
// kernels, and "valid").
bool phases_apply(const Conv2DGeometry& g);

// The undilated convolution of one phase image (the largest phase's sizes: phase 0's).
Conv2DGeometry phase_geometry(const Conv2DGeometry& g);

// Phase images per sample: dilation_h * dilation_w.
inline long phases_per_sample(const Conv2DGeometry& g) {
  return g.dilation_h * g.dilation_w;
}

// Where image n of a kernel's image batch lies in an NHWC tensor of h x w x channels samples:
// undilated (d_h = d_w = 1), image n is sample n; else it is phase n % (d_h * d_w) (row-major
// phase order) of sample n / (d_h * d_w), whose pixel (i, j) is the sample's pixel
// (py + d_h * i, px + d_w * j).
struct PhaseImages {
  long h, w, channels;
  long d_h = 1, d_w = 1;

  struct Image {
    long origin;      // floats from the tensor's start to the image's pixel (0, 0)
    long rows, cols;  // its own size: a phase past an odd side is a row or column short
  };
  [[nodiscard]] long per_sample() const { return d_h * d_w; }
  [[nodiscard]] long sample_floats() const { return h * w * channels; }
  [[nodiscard]] long row_stride() const { return d_h * w * channels; }
  [[nodiscard]] long col_stride() const { return d_w * channels; }
  [[nodiscard]] Image image(long n) const {
    if (d_h == 1 && d_w == 1) {
      return {n * sample_floats(), h, w};
    }
    const long phase = n % per_sample();
    const long py = phase / d_w;
    const long px = phase % d_w;
    return {n / per_sample() * sample_floats() + (py * w + px) * channels, (h - py + d_h - 1) / d_h,
            (w - px + d_w - 1) / d_w};
  }
};

// g's input tensors (x and dx) and output tensors (y and dy) as phase images (g undilated: one
// image per sample).
PhaseImages input_images(const Conv2DGeometry& g);
PhaseImages output_images(const Conv2DGeometry& g);

}  // namespace runner::kernels
