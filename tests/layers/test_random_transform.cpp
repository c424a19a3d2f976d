// The resampling kernel RandomTranslation, RandomRotation and RandomZoom share.
#include <doctest/doctest.h>

#include <cmath>

#include "layers/kernels/image_transform.hpp"
#include "tests/layers/reference/image_transform.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
using kernels::AffineMap;
using kernels::FillMode;
using kernels::ImageTransformGeometry;
using kernels::Interpolation;

// The maps tests/reference/layers/image_transform.py uses, on 5x6 images.
AffineMap rotation(double angle) {
  const auto c = static_cast<float>(std::cos(angle));
  const auto s = static_cast<float>(std::sin(angle));
  return {c, -s, (5.0F - (c * 5.0F - s * 4.0F)) / 2.0F,
          s, c,  (4.0F - (s * 5.0F + c * 4.0F)) / 2.0F};
}

Tensor resample(const ImageTransformGeometry& g, const AffineMap& m, const Tensor& x) {
  Tensor y(x.shape());
  kernels::transform_images(g, x.batch(), &m, x.data(), y.data());
  return y;
}
}  // namespace

TEST_SUITE("image transform kernel") {
  TEST_CASE("Resampling matches SciPy's map_coordinates for each fill mode") {
    const Tensor x = sine_input(Shape{1, 5, 6, 2});
    ImageTransformGeometry g{5, 6, 2};
    check_close(resample(g, rotation(0.3), x), reference::kRotateReflect);
    check_close(resample(g, rotation(2.1), x), reference::kRotateLargeReflect);
    g.fill = FillMode::kNearest;
    check_close(resample(g, {1, 0, 1.7F, 0, 1, -2.2F}, x), reference::kShiftNearest);
    g.fill = FillMode::kConstant;
    g.fill_value = 0.5F;
    check_close(resample(g, {1.3F, 0, 2.5F * (1 - 1.3F), 0, 0.8F, 2.0F * (1 - 0.8F)}, x),
                reference::kZoomConstant);
  }

  TEST_CASE("Whole-pixel shifts wrap around and nearest interpolation rounds") {
    const Tensor x = sine_input(Shape{1, 3, 4, 1});
    ImageTransformGeometry g{3, 4, 1};
    g.fill = FillMode::kWrap;
    const Tensor wrapped = resample(g, {1, 0, 2, 0, 1, 0}, x);  // reads column x + 2
    for (long r = 0; r < 3; ++r) {
      for (long c = 0; c < 4; ++c) {
        CHECK(wrapped[static_cast<std::size_t>(r * 4 + c)] ==
              x[static_cast<std::size_t>(r * 4 + (c + 2) % 4)]);
      }
    }
    g.fill = FillMode::kConstant;
    g.interpolation = Interpolation::kNearest;
    const Tensor rounded = resample(g, {1, 0, 0.4F, 0, 1, -0.6F}, x);  // column x, row y - 1
    for (long r = 0; r < 3; ++r) {
      for (long c = 0; c < 4; ++c) {
        CHECK(rounded[static_cast<std::size_t>(r * 4 + c)] ==
              (r == 0 ? 0.0F : x[static_cast<std::size_t>((r - 1) * 4 + c)]));
      }
    }
  }

  TEST_CASE("The backward pass is the transpose of the forward map") {
    // <T x, d> = <x, T' d> for any x and d.
    const Tensor x = sine_input(Shape{2, 5, 6, 2});
    Tensor d(x.shape());
    for (std::size_t i = 0; i < d.size(); ++i) {
      d[i] = static_cast<float>(std::cos(0.11 * static_cast<double>(i)));
    }
    for (const FillMode fill :
         {FillMode::kReflect, FillMode::kWrap, FillMode::kConstant, FillMode::kNearest}) {
      const ImageTransformGeometry g{5, 6, 2, fill};
      const AffineMap maps[2] = {rotation(0.7), {1.2F, 0.1F, -0.9F, -0.2F, 0.9F, 1.4F}};
      Tensor y(x.shape());
      Tensor back(x.shape());
      kernels::transform_images(g, 2, maps, x.data(), y.data());
      kernels::transform_images_backward(g, 2, maps, d.data(), back.data());
      double forward_dot = 0;
      double backward_dot = 0;
      for (std::size_t i = 0; i < x.size(); ++i) {
        forward_dot += static_cast<double>(y[i]) * d[i];
        backward_dot += static_cast<double>(x[i]) * back[i];
      }
      CHECK(forward_dot == doctest::Approx(backward_dot).epsilon(1e-5));
    }
  }
}

}  // namespace runner::test
