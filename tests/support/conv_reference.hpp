#pragma once
// Direct convolution loops in double: the oracle for the convolution kernels (im2col + GEMM,
// Winograd), forward and backward.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "layers/kernels/conv2d.hpp"
#include "layers/kernels/pool2d.hpp"

namespace runner::test {

inline std::vector<float> pattern(std::size_t n, double a) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(std::sin(a * static_cast<double>(i) + 0.3));
  }
  return v;
}

// A k x k convolution of stride 1 and dilation d_h x d_w, "same" (padding (k - 1) * d / 2) or
// "valid".
inline kernels::Conv2DGeometry dilated_geometry(long in_h, long in_w, long in_c, long out_c, long k,
                                                long d_h, long d_w, bool same) {
  const long span_h = (k - 1) * d_h;
  const long span_w = (k - 1) * d_w;
  return {.in_h = in_h,
          .in_w = in_w,
          .in_c = in_c,
          .out_h = same ? in_h : in_h - span_h,
          .out_w = same ? in_w : in_w - span_w,
          .out_c = out_c,
          .k_h = k,
          .k_w = k,
          .stride_h = 1,
          .stride_w = 1,
          .pad_top = same ? span_h / 2 : 0,
          .pad_left = same ? span_w / 2 : 0,
          .dilation_h = d_h,
          .dilation_w = d_w};
}

// Calls fn(x_index, w_index, y_index) for every multiply of the convolution.
template <typename Fn>
void for_each_tap(const kernels::Conv2DGeometry& g, long batch, const Fn& fn) {
  for (long n = 0; n < batch; ++n) {
    for (long oh = 0; oh < g.out_h; ++oh) {
      for (long ow = 0; ow < g.out_w; ++ow) {
        for (long ky = 0; ky < g.k_h; ++ky) {
          for (long kx = 0; kx < g.k_w; ++kx) {
            const long ih = oh * g.stride_h - g.pad_top + ky * g.dilation_h;
            const long iw = ow * g.stride_w - g.pad_left + kx * g.dilation_w;
            if (ih < 0 || ih >= g.in_h || iw < 0 || iw >= g.in_w) {
              continue;
            }
            for (long c = 0; c < g.in_c; ++c) {
              for (long o = 0; o < g.out_c; ++o) {
                fn(static_cast<std::size_t>(n * g.in_size() + (ih * g.in_w + iw) * g.in_c + c),
                   static_cast<std::size_t>(((ky * g.k_w + kx) * g.in_c + c) * g.out_c + o),
                   static_cast<std::size_t>(n * g.out_size() + (oh * g.out_w + ow) * g.out_c + o));
              }
            }
          }
        }
      }
    }
  }
}

// y = conv(x, w) + b (no activation).
inline std::vector<double> naive_conv(const kernels::Conv2DGeometry& g, long batch,
                                      const std::vector<float>& x, const std::vector<float>& w,
                                      const std::vector<float>& b) {
  std::vector<double> y(static_cast<std::size_t>(batch * g.out_size()));
  for (std::size_t i = 0; i < y.size(); ++i) {
    y[i] = b[i % static_cast<std::size_t>(g.out_c)];
  }
  for_each_tap(g, batch, [&](std::size_t xi, std::size_t wi, std::size_t yi) {
    y[yi] += static_cast<double>(x[xi]) * w[wi];
  });
  return y;
}

struct ConvGradients {
  std::vector<double> dx, dw, db;
};

// Gradients of sum(dy * conv(x, w) + b) (no activation).
inline ConvGradients naive_conv_backward(const kernels::Conv2DGeometry& g, long batch,
                                         const std::vector<float>& x, const std::vector<float>& w,
                                         const std::vector<float>& dy) {
  ConvGradients out{std::vector<double>(x.size()), std::vector<double>(w.size()),
                    std::vector<double>(static_cast<std::size_t>(g.out_c))};
  for_each_tap(g, batch, [&](std::size_t xi, std::size_t wi, std::size_t yi) {
    out.dx[xi] += static_cast<double>(dy[yi]) * w[wi];
    out.dw[wi] += static_cast<double>(dy[yi]) * x[xi];
  });
  // The first `batch` samples' only (dy may hold more).
  for (std::size_t i = 0; i < static_cast<std::size_t>(batch * g.out_size()); ++i) {
    out.db[i % static_cast<std::size_t>(g.out_c)] += dy[i];
  }
  return out;
}

// Largest |a - b| over two equally long arrays.
template <typename A, typename B>
double worst_difference(const std::vector<A>& a, const std::vector<B>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double difference = std::abs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    if (std::isnan(difference)) {
      return std::numeric_limits<double>::infinity();  // std::max would skip a NaN
    }
    worst = std::max(worst, difference);
  }
  return worst;
}

// The pooling layer's half of an unfused convolution + MaxPooling2D(2, strides 2, valid), by
// the pooling kernels: what Pooling::kMax2x2 must reproduce bit for bit. Pools y, and scatters
// a pooled gradient back to the convolution's output gradient.
struct UnfusedPool {
  kernels::Pool2DGeometry p;
  std::vector<float> pooled;
  std::vector<std::int32_t> argmax;

  UnfusedPool(const kernels::Conv2DGeometry& g, long batch, const std::vector<float>& y)
      : p{g.out_h, g.out_w, g.out_c, g.out_h / 2, g.out_w / 2, 2, 2, 2, 2, 0, 0},
        pooled(static_cast<std::size_t>(batch * p.out_size())),
        argmax(pooled.size()) {
    kernels::max_pool2d_forward(p, batch, y.data(), pooled.data(), argmax.data());
  }

  [[nodiscard]] std::vector<float> scatter(long batch, const std::vector<float>& dpool) const {
    std::vector<float> dy(static_cast<std::size_t>(batch * p.in_size()));
    kernels::max_pool2d_backward(p, batch, dpool.data(), argmax.data(), dy.data());
    return dy;
  }
};

}  // namespace runner::test
