#pragma once
// A Winograd convolution's buffers and one forward-then-backward pass through them: how the
// Winograd tests run the kernels (winograd.hpp) unless they drive the calls themselves.
#include <cmath>
#include <vector>

#include "layers/kernels/winograd.hpp"

namespace runner::test {

// Outputs, workspaces and gradients of `batch` samples of g at `tile`; dx starts as NaN, so a
// position backward leaves unwritten shows; dw and db start at zero (backward adds to them).
struct WinogradBuffers {
  std::vector<float> y, u, v, delta, partials, dx, dw, db;
  WinogradBuffers(const kernels::Conv2DGeometry& g, long tile, long batch) {
    const auto sizes = kernels::winograd_sizes(g, tile, batch);
    y.resize(static_cast<std::size_t>(batch * g.out_size()));
    delta.resize(y.size());
    u.resize(sizes.weights);
    v.resize(sizes.inputs);
    partials.resize(sizes.partials);
    dx.assign(static_cast<std::size_t>(batch * g.in_size()), std::nanf(""));
    dw.assign(static_cast<std::size_t>(g.patch() * g.out_c), 0.0F);
    db.assign(static_cast<std::size_t>(g.out_c), 0.0F);
  }
};

// Forward (training, keeping V where it fits) then backward with output gradient dy.
inline WinogradBuffers run_winograd(const kernels::Conv2DGeometry& g, long tile, long batch,
                                    kernels::Activation act, const std::vector<float>& x,
                                    const std::vector<float>& w, const std::vector<float>& b,
                                    const std::vector<float>& dy) {
  WinogradBuffers bufs(g, tile, batch);
  kernels::winograd_forward(
      g, tile, {act},
      {.batch = batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = bufs.y.data()},
      bufs.u.data(), bufs.v.data());
  kernels::winograd_backward(g, tile, {act},
                             {.batch = batch,
                              .x = x.data(),
                              .w = w.data(),
                              .y = bufs.y.data(),
                              .dy = dy.data(),
                              .dw = bufs.dw.data(),
                              .db = bufs.db.data(),
                              .dx = bufs.dx.data()},
                             {.u = bufs.u.data(),
                              .v = bufs.v.data(),
                              .delta = bufs.delta.data(),
                              .partials = bufs.partials.data()});
  return bufs;
}

}  // namespace runner::test
