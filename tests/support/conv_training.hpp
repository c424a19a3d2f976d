#pragma once
// One training step of the convolution kernels (forward, then backward with a given output
// gradient) on fresh workspaces, for tests that compare its gradients with direct loops or
// across thread counts.
#include <cmath>
#include <vector>

#include "layers/kernels/conv2d.hpp"
#include "tests/support/conv_reference.hpp"

namespace runner::test {

struct ConvStepGradients {
  std::vector<float> dx, dw, db;  // dx empty without an input gradient
};

struct ConvStepInputs {
  std::vector<float> x, w, b, dy;
};

// Inputs, kernel, bias and output gradient of a batch, each a distinct sine pattern.
inline ConvStepInputs patterned_step_inputs(const kernels::Conv2DGeometry& g, long batch) {
  return {pattern(static_cast<std::size_t>(batch * g.in_size()), 0.37),
          pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23),
          pattern(static_cast<std::size_t>(g.out_c), 1.1),
          pattern(static_cast<std::size_t>(batch * g.out_size()), 0.53)};
}

// dx starts as NaN, so a position backward leaves unwritten shows.
inline ConvStepGradients conv_training_step(const kernels::Conv2DGeometry& g,
                                            kernels::Activation act, long batch,
                                            const ConvStepInputs& in, bool with_dx) {
  std::vector<float> y(in.dy.size());
  std::vector<float> col(kernels::conv2d_col_size(g, act, batch));
  std::vector<float> delta(in.dy.size());
  std::vector<float> partials(kernels::conv2d_partials_size(g, batch));
  ConvStepGradients out{
      with_dx ? std::vector<float>(in.x.size(), std::nanf("")) : std::vector<float>{},
      std::vector<float>(in.w.size(), 0.0F), std::vector<float>(in.b.size(), 0.0F)};
  kernels::conv2d_forward(
      g, {act},
      {.batch = batch, .x = in.x.data(), .w = in.w.data(), .b = in.b.data(), .y = y.data()},
      col.data());
  kernels::conv2d_backward(g, {act},
                           {.batch = batch,
                            .x = in.x.data(),
                            .w = in.w.data(),
                            .y = y.data(),
                            .dy = in.dy.data(),
                            .dw = out.dw.data(),
                            .db = out.db.data(),
                            .dx = with_dx ? out.dx.data() : nullptr},
                           {.col = col.data(), .delta = delta.data(), .partials = partials.data()});
  return out;
}

}  // namespace runner::test
