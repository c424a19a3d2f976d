#pragma once
// Resampling of NHWC images through one affine map per image, as Keras' augmentation layers
// do it (TensorFlow's ImageProjectiveTransformV3): output pixel (x, y) reads the input at
// (a0 x + a1 y + a2, b0 x + b1 y + b2); points outside are brought back by the fill mode, then
// read with nearest or bilinear interpolation (reads that still fall outside give fill_value).
namespace runner::kernels {

enum class FillMode { kReflect, kWrap, kConstant, kNearest };
enum class Interpolation { kNearest, kBilinear };

struct AffineMap {
  float a0 = 1, a1 = 0, a2 = 0;
  float b0 = 0, b1 = 1, b2 = 0;
};

struct ImageTransformGeometry {
  long height, width, channels;
  FillMode fill = FillMode::kReflect;
  Interpolation interpolation = Interpolation::kBilinear;
  float fill_value = 0;
};

// y[n] = x[n] resampled through maps[n], for `batch` images.
void transform_images(const ImageTransformGeometry& g, long batch, const AffineMap* maps,
                      const float* x, float* y);

// dx = the transpose of that linear map applied to dy (each output's gradient goes back to the
// input pixels it read, with the same weights); fill values get no gradient.
void transform_images_backward(const ImageTransformGeometry& g, long batch, const AffineMap* maps,
                               const float* dy, float* dx);

}  // namespace runner::kernels
