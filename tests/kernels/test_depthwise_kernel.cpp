#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "layers/kernels/depthwise_conv2d.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/conv_reference.hpp"

namespace runner::test {

namespace {

struct DepthwiseCase {
  long batch, in_h, in_w, in_c, multiplier, k, stride, dilation;
  bool same, bias;
  long dilation_w;  // 0: `dilation`
};

kernels::DepthwiseGeometry geometry_of(const DepthwiseCase& c) {
  const long dilation_w = c.dilation_w == 0 ? c.dilation : c.dilation_w;
  const long span_h = (c.k - 1) * c.dilation;
  const long span_w = (c.k - 1) * dilation_w;
  // TensorFlow's "same": out = ceil(in / stride), the odd padding pixel at the bottom/right.
  const long out_h =
      c.same ? (c.in_h + c.stride - 1) / c.stride : (c.in_h - span_h - 1) / c.stride + 1;
  const long out_w =
      c.same ? (c.in_w + c.stride - 1) / c.stride : (c.in_w - span_w - 1) / c.stride + 1;
  const long pad_h = c.same ? std::max(0L, (out_h - 1) * c.stride + span_h + 1 - c.in_h) : 0;
  const long pad_w = c.same ? std::max(0L, (out_w - 1) * c.stride + span_w + 1 - c.in_w) : 0;
  return {.in_h = c.in_h,
          .in_w = c.in_w,
          .in_c = c.in_c,
          .out_h = out_h,
          .out_w = out_w,
          .multiplier = c.multiplier,
          .k_h = c.k,
          .k_w = c.k,
          .stride_h = c.stride,
          .stride_w = c.stride,
          .pad_top = pad_h / 2,
          .pad_left = pad_w / 2,
          .dilation_h = c.dilation,
          .dilation_w = dilation_w};
}

// fn(out, in, tap) for every product of a depthwise convolution: out indexes y, in x and tap w;
// outputs in order, each output's taps inside the image in kernel-row, then kernel-column order.
template <typename Fn>
void for_each_product(const kernels::DepthwiseGeometry& g, long batch, const Fn& fn) {
  const long oc = g.out_c();
  for (long n = 0; n < batch; ++n) {
    for (long oy = 0; oy < g.out_h; ++oy) {
      for (long ox = 0; ox < g.out_w; ++ox) {
        for (long o = 0; o < oc; ++o) {
          const auto out =
              static_cast<std::size_t>(n * g.out_size() + (oy * g.out_w + ox) * oc + o);
          for (long ky = 0; ky < g.k_h; ++ky) {
            const long iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
            for (long kx = 0; kx < g.k_w; ++kx) {
              const long ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) {
                continue;
              }
              fn(out,
                 static_cast<std::size_t>(n * g.in_size() + (iy * g.in_w + ix) * g.in_c +
                                          o / g.multiplier),
                 static_cast<std::size_t>((ky * g.k_w + kx) * oc + o));
            }
          }
        }
      }
    }
  }
}

// Output y[n][oy][ox][c * m + j] from the bias, then each tap inside the image in kernel-row,
// then kernel-column order: as fused multiply-adds (`fused`, the kernels' own operations and
// order) or in double.
template <typename T>
std::vector<T> direct_depthwise(const kernels::DepthwiseGeometry& g, long batch,
                                const std::vector<float>& x, const std::vector<float>& w,
                                const std::vector<float>& b, bool fused) {
  const auto oc = static_cast<std::size_t>(g.out_c());
  std::vector<T> y(static_cast<std::size_t>(batch * g.out_size()));
  for (std::size_t i = 0; i < y.size(); ++i) {
    y[i] = b.empty() ? T{0} : T{b[i % oc]};
  }
  for_each_product(g, batch, [&](std::size_t out, std::size_t in, std::size_t tap) {
    const T xv = x[in];
    const T wv = w[tap];
    y[out] = fused ? static_cast<T>(std::fma(xv, wv, y[out])) : y[out] + xv * wv;
  });
  return y;
}

// Each value of a backward pass against its sum in double, within 1e-5 of the sum of its terms'
// magnitudes.
struct DoubleSums {
  std::vector<double> sum, magnitude;
  explicit DoubleSums(std::size_t n) : sum(n), magnitude(n) {}
  void add(std::size_t i, double term) {
    sum[i] += term;
    magnitude[i] += std::abs(term);
  }
  void check(const std::vector<float>& got) const {
    REQUIRE(got.size() == sum.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      CHECK(std::abs(got[i] - sum[i]) <= 1e-5 * (1 + magnitude[i]));
    }
  }
};

}  // namespace

TEST_SUITE("depthwise kernel") {
  TEST_CASE("depthwise_backward equals loops in double with the taps in registers") {
    // 3x3, one filter per channel: 64 and 40 channels take pairs of registers (and 40 a partial
    // register after them), 17 a single full and a partial register with AVX-512 and a pair with
    // AVX2; stride 1 gathers dx, stride 2 scatters it; dilated; valid and "same".
    const std::vector<DepthwiseCase> cases{
        {2, 9, 8, 64, 1, 3, 1, 1, true, true, 0},  {3, 7, 10, 40, 1, 3, 1, 1, false, true, 0},
        {2, 8, 9, 17, 1, 3, 1, 1, true, true, 0},  {2, 9, 9, 40, 1, 3, 2, 1, true, true, 0},
        {2, 10, 9, 48, 1, 3, 1, 2, true, true, 0}, {1, 3, 5, 32, 1, 3, 1, 1, true, true, 0}};
    for (const DepthwiseCase& c : cases) {
      CAPTURE(c.in_c);
      CAPTURE(c.stride);
      CAPTURE(c.dilation);
      CAPTURE(c.same);
      const auto g = geometry_of(c);
      const long oc = g.out_c();
      const auto x = pattern(static_cast<std::size_t>(c.batch * g.in_size()), 0.37);
      const auto w = pattern(static_cast<std::size_t>(g.taps() * oc), 0.71);
      const auto dy = pattern(static_cast<std::size_t>(c.batch * g.out_size()), 0.53);
      std::vector<float> dw(w.size(), 0.0F);
      std::vector<float> db(static_cast<std::size_t>(oc), 0.0F);
      std::vector<float> dx(x.size(), std::nanf(""));
      std::vector<float> delta(dy.size());
      std::vector<float> partials(kernels::depthwise_partials_size(g, c.batch));
      kernels::depthwise_backward(g, kernels::Activation::kLinear,
                                  {.batch = c.batch,
                                   .x = x.data(),
                                   .w = w.data(),
                                   .y = nullptr,
                                   .dy = dy.data(),
                                   .dw = dw.data(),
                                   .db = db.data(),
                                   .dx = dx.data()},
                                  {.delta = delta.data(), .partials = partials.data()});
      DoubleSums want_dw(dw.size());
      DoubleSums want_db(db.size());
      DoubleSums want_dx(dx.size());
      for (std::size_t out = 0; out < dy.size(); ++out) {
        want_db.add(out % static_cast<std::size_t>(oc), dy[out]);
      }
      for_each_product(g, c.batch, [&](std::size_t out, std::size_t in, std::size_t tap) {
        want_dw.add(tap, static_cast<double>(dy[out]) * x[in]);
        want_dx.add(in, static_cast<double>(dy[out]) * w[tap]);
      });
      want_dw.check(dw);
      want_db.check(db);
      want_dx.check(dx);
    }
  }

  TEST_CASE("depthwise_forward equals direct loops in every path") {
    // 3x3, one filter per channel, rows streamed in blocks: stride 1 and 2 across, odd widths
    // that leave blocks of 8, 4, 2 and 1, full and partial registers of channels; images with
    // no full column or no full row; dilated down only.
    const std::vector<DepthwiseCase> streamed{
        {3, 14, 14, 32, 1, 3, 1, 1, true, true, 0}, {2, 14, 14, 64, 1, 3, 2, 1, true, false, 0},
        {2, 9, 23, 13, 1, 3, 1, 1, true, true, 0},  {2, 11, 26, 24, 1, 3, 2, 1, true, true, 0},
        {1, 7, 19, 5, 1, 3, 1, 1, false, true, 0},  {2, 8, 21, 40, 1, 3, 2, 1, false, false, 0},
        {1, 4, 4, 16, 1, 3, 1, 1, true, true, 0},   {1, 3, 30, 17, 1, 3, 1, 1, true, true, 0},
        {1, 2, 12, 8, 1, 3, 1, 1, true, true, 0},   {2, 13, 12, 16, 1, 3, 1, 2, true, true, 1}};
    // 3x3 not streamed (dilated across, stride 3 across); pixel by pixel (5x5; two filters per
    // channel).
    const std::vector<DepthwiseCase> others{DepthwiseCase{2, 12, 13, 20, 1, 3, 1, 2, true, true, 0},
                                            DepthwiseCase{2, 13, 14, 9, 1, 3, 3, 1, true, true, 0},
                                            DepthwiseCase{2, 9, 10, 18, 1, 5, 1, 1, true, true, 0},
                                            DepthwiseCase{2, 6, 7, 3, 2, 3, 1, 1, true, true, 0}};
    std::vector<DepthwiseCase> cases = streamed;
    cases.insert(cases.end(), others.begin(), others.end());
    for (const DepthwiseCase& c : cases) {
      CAPTURE(c.in_w);
      CAPTURE(c.in_c);
      CAPTURE(c.stride);
      CAPTURE(c.dilation);
      CAPTURE(c.k);
      const auto g = geometry_of(c);
      const auto x = pattern(static_cast<std::size_t>(c.batch * g.in_size()), 0.37);
      const auto w = pattern(static_cast<std::size_t>(g.taps() * g.out_c()), 0.71);
      const auto b =
          c.bias ? pattern(static_cast<std::size_t>(g.out_c()), 1.3) : std::vector<float>{};
      std::vector<float> y(static_cast<std::size_t>(c.batch * g.out_size()), -7.0F);
      kernels::depthwise_forward(g, kernels::Activation::kLinear,
                                 {.batch = c.batch,
                                  .x = x.data(),
                                  .w = w.data(),
                                  .b = c.bias ? b.data() : nullptr,
                                  .y = y.data()});
      const auto exact = direct_depthwise<double>(g, c.batch, x, w, b, false);
      double worst = 0;
      for (std::size_t i = 0; i < y.size(); ++i) {
        worst = std::max(worst, std::abs(static_cast<double>(y[i]) - exact[i]));
      }
      CHECK(worst < 1e-5);
#if defined(__FMA__)
      // The kernels' bits: the same fused multiply-adds in the same order, whatever the path.
      CHECK(bitwise_equal(y, direct_depthwise<float>(g, c.batch, x, w, b, true)));
#endif
    }
  }
}

}  // namespace runner::test
