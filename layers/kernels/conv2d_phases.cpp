#include "layers/kernels/conv2d_phases.hpp"

namespace runner::kernels {

namespace {
long ceil_div(long a, long b) {
  return (a + b - 1) / b;
}
}  // namespace

bool phases_apply(const Conv2DGeometry& g) {
  return (g.dilation_h > 1 || g.dilation_w > 1) && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_top % g.dilation_h == 0 && g.pad_left % g.dilation_w == 0;
}

Conv2DGeometry phase_geometry(const Conv2DGeometry& g) {
  Conv2DGeometry p = g;
  p.in_h = ceil_div(g.in_h, g.dilation_h);
  p.in_w = ceil_div(g.in_w, g.dilation_w);
  p.out_h = ceil_div(g.out_h, g.dilation_h);
  p.out_w = ceil_div(g.out_w, g.dilation_w);
  p.pad_top = g.pad_top / g.dilation_h;
  p.pad_left = g.pad_left / g.dilation_w;
  p.dilation_h = 1;
  p.dilation_w = 1;
  return p;
}

PhaseImages input_images(const Conv2DGeometry& g) {
  return {g.in_h, g.in_w, g.in_c, g.dilation_h, g.dilation_w};
}

PhaseImages output_images(const Conv2DGeometry& g) {
  return {g.out_h, g.out_w, g.out_c, g.dilation_h, g.dilation_w};
}

}  // namespace runner::kernels
