#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "layers/kernels/point_products.hpp"
#include "layers/kernels/winograd.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/conv_reference.hpp"
#include "tests/support/threads.hpp"
#include "tests/support/winograd_run.hpp"

namespace runner::test {

namespace {

// Stride 1; pad (k - 1) / 2 = "same", 0 = "valid". A 2x2 kernel's pad 1 is Keras' "same": none
// before, one row and column after.
struct Case {
  long batch, in_h, in_w, in_c, out_c, pad;
  long k = 3;  // a k x k kernel: 3, 5 (F(2x2,5x5) only) or 2 (F(4x4,2x2) only)
};

kernels::Conv2DGeometry geometry(const Case& c) {
  const long before = c.k == 2 ? 0 : c.pad;
  const long padded = c.k == 2 ? c.pad : 2 * c.pad;
  const long out_h = c.in_h + padded - (c.k - 1);
  const long out_w = c.in_w + padded - (c.k - 1);
  return {c.in_h, c.in_w, c.in_c, out_h, out_w, c.out_c, c.k, c.k, 1, 1, before, before};
}

// The tiles a case takes: F(2x2) and F(4x4) for 3x3 kernels, F(2x2) for 5x5, F(4x4) for 2x2.
bool takes_tile(const Case& c, long tile) {
  return c.k == 2 ? tile == 4 : (tile == 2 || c.k == 3);
}

// Sums of up to k * k * in_c products of values in [-1, 1]; the 6x6 transforms' larger
// coefficients (F(4x4,3x3), F(2x2,5x5)) cost some float precision, still far below what training
// notices.
double tolerance(const Case& c, long tile) {
  const double scale = tile == 2 && c.k == 3 ? 2e-6 : 1e-5;
  return scale * (static_cast<double>(c.in_c * c.k * c.k) / 9.0 + 4.0);
}

// Deterministic x, w, b and dy for a geometry.
struct Inputs {
  std::vector<float> x, w, b, dy;
  Inputs(const kernels::Conv2DGeometry& g, long batch)
      : x(pattern(static_cast<std::size_t>(batch * g.in_size()), 0.37)),
        w(pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23)),
        b(pattern(static_cast<std::size_t>(g.out_c), 1.1)),
        dy(pattern(static_cast<std::size_t>(batch * g.out_size()), 0.71)) {}
};

// Odd sizes: batch 1, 3, 33; channels below, at and past the 16-lane block; tiles that do not
// divide the output; valid and same padding.
// Output channels (forward) and input channels (backward's dV) of 16, 32, 48 and 64 take the
// point-products kernel (point_products.hpp), with tile groups cut short at each chunk's end, as
// do 24, 40 and 56 (with AVX-512 Vecs and an 8-float tail);
// 144 output channels take a library GEMM per point; 272 are more than one block of the kernel
// transform's staging (Winograd::transform_kernel_as, 256 floats per point). 5x5 kernels: "same"
// and "valid", padding 1, outputs that do not divide into tiles, every path of the products. 2x2
// kernels: "same" and "valid", outputs of 1 to 14, the same paths.
const Case kCases[] = {
    Case{1, 5, 5, 1, 3, 1, 2},     Case{3, 7, 6, 5, 17, 0, 2},  Case{2, 2, 2, 16, 16, 0, 2},
    Case{2, 14, 14, 32, 64, 1, 2}, Case{3, 9, 8, 19, 48, 0, 2}, Case{2, 7, 7, 80, 144, 1, 2},
    Case{1, 5, 5, 1, 3, 1},        Case{3, 7, 6, 5, 17, 0},     Case{33, 4, 9, 3, 4, 1},
    Case{2, 8, 8, 19, 33, 1},      Case{2, 14, 14, 32, 64, 1},  Case{1, 3, 3, 16, 16, 0},
    Case{3, 7, 6, 5, 32, 0},       Case{2, 9, 9, 19, 48, 1},    Case{3, 6, 7, 48, 17, 1},
    Case{2, 7, 7, 80, 144, 1},     Case{2, 6, 5, 3, 272, 1},    Case{2, 14, 14, 32, 64, 2, 5},
    Case{3, 9, 8, 19, 48, 0, 5},   Case{1, 7, 7, 16, 17, 2, 5}, Case{2, 6, 7, 48, 16, 1, 5},
    Case{2, 5, 6, 8, 144, 2, 5},   Case{3, 9, 7, 24, 24, 1},    Case{2, 8, 9, 40, 24, 1},
    Case{2, 7, 7, 56, 40, 1, 2},   Case{2, 9, 8, 24, 40, 1, 5}};

using Buffers = WinogradBuffers;

// Runs forward then backward on a case's inputs.
Buffers run(const kernels::Conv2DGeometry& g, long tile, long batch, const Inputs& in,
            kernels::Activation act = kernels::Activation::kLinear) {
  return run_winograd(g, tile, batch, act, in.x, in.w, in.b, in.dy);
}

// F(4x4,3x3) on the first `batch` samples of case c: gradients as direct loops, the weight
// gradient's bits on one thread as on two, and a workspace of `partials` partial gradients.
void check_grouped_weight_gradient(const Case& c, long batch, std::size_t partials) {
  CAPTURE(batch);
  const auto g = geometry(c);
  const Inputs in(g, c.batch);
  const Buffers got = run(g, 4, batch, in);
  const auto expected = naive_conv_backward(g, batch, in.x, in.w, in.dy);
  const double tolerance = 1e-5 * static_cast<double>(c.in_c + 4);
  CHECK(worst_difference(got.dx, expected.dx) < tolerance);
  const double wide = tolerance * static_cast<double>(batch * g.pixels()) / 16.0;
  CHECK(worst_difference(got.dw, expected.dw) < wide);
  CHECK(worst_difference(got.db, expected.db) < wide);
  CHECK(kernels::winograd_sizes(g, 4, batch).partials ==
        partials * static_cast<std::size_t>(36 * c.in_c * c.out_c + c.out_c));
  CHECK(bitwise_equal(got.dw, with_threads(1, [&] { return run(g, 4, batch, in); }).dw));
}

// Both tiles, every case of kCases (odd sizes: a dropped last row or column, a 1x1 output that
// pools to nothing), ReLU and linear: what a fused 2x2 max pooling is tested on.
template <typename Fn>
void for_each_pooling_case(const Fn& fn) {
  for (const long tile : {2L, 4L}) {
    for (const Case& c : kCases) {
      if (!takes_tile(c, tile)) {
        continue;
      }
      for (const auto act : {kernels::Activation::kRelu, kernels::Activation::kLinear}) {
        CAPTURE(tile);
        CAPTURE(c.batch);
        CAPTURE(c.in_h);
        CAPTURE(c.in_c);
        CAPTURE(kernels::activation_name(act));
        fn(tile, c, act);
      }
    }
  }
}

}  // namespace

TEST_SUITE("winograd kernel") {
  TEST_CASE("Winograd takes F(4x4) where it needs fewer products per sample than F(2x2)") {
    const auto tile_for = [](long size) {
      return kernels::winograd_tile(geometry(Case{1, size, size, 16, 16, 1}));  // same padding
    };
    CHECK(tile_for(1) == 2);  // one 2x2 tile: 16 products; one 4x4 tile: 36
    CHECK(tile_for(2) == 2);
    CHECK(tile_for(3) == 4);  // four 2x2 tiles (64) against one 4x4 tile (36)
    CHECK(tile_for(7) == 4);  // 16 x 16 = 256 against 4 x 36 = 144
    CHECK(tile_for(14) == 4);
    CHECK(tile_for(28) == 4);
  }

  TEST_CASE("Winograd forward and backward equal direct loops for odd sizes and both tiles") {
    for (const long tile : {2L, 4L}) {
      for (const Case& c : kCases) {
        if (!takes_tile(c, tile)) {
          continue;
        }
        CAPTURE(tile);
        CAPTURE(c.k);
        CAPTURE(c.batch);
        CAPTURE(c.in_c);
        CAPTURE(c.out_c);
        CAPTURE(c.pad);
        const auto g = geometry(c);
        REQUIRE(kernels::winograd_applies(g));
        const Inputs in(g, c.batch);
        const Buffers got = run(g, tile, c.batch, in);
        const double limit = tolerance(c, tile);
        CHECK(worst_difference(got.y, naive_conv(g, c.batch, in.x, in.w, in.b)) < limit);
        const auto expected = naive_conv_backward(g, c.batch, in.x, in.w, in.dy);
        CHECK(worst_difference(got.dx, expected.dx) < limit);
        const double wide = limit * static_cast<double>(c.batch * g.pixels()) / 16.0;
        CHECK(worst_difference(got.dw, expected.dw) < wide);
        CHECK(worst_difference(got.db, expected.db) < wide);
      }
    }
  }

  // Inference computes a last tile of 1 or 2 outputs per row or column with 4 points instead of
  // 6 (EdgeDim43 in winograd.cpp): as exact as the whole tiles, with ReLU in the output
  // transform and another activation after it.
  TEST_CASE("Winograd inference equals direct loops for odd sizes and both tiles") {
    const Case edges[] = {Case{2, 14, 14, 32, 64, 1}, Case{3, 13, 10, 16, 48, 1},
                          Case{1, 2, 6, 24, 16, 1}, Case{2, 18, 16, 8, 32, 0},
                          Case{1, 4, 4, 16, 64, 0}};
    for (const long tile : {2L, 4L}) {
      for (const auto cases : {std::span<const Case>(kCases), std::span<const Case>(edges)}) {
        for (const Case& c : cases) {
          if (!takes_tile(c, tile)) {
            continue;
          }
          for (const auto act : {kernels::Activation::kLinear, kernels::Activation::kRelu,
                                 kernels::Activation::kTanh}) {
            CAPTURE(tile);
            CAPTURE(kernels::activation_name(act));
            CAPTURE(c.k);
            CAPTURE(c.batch);
            CAPTURE(c.in_h);
            CAPTURE(c.in_w);
            CAPTURE(c.in_c);
            CAPTURE(c.out_c);
            CAPTURE(c.pad);
            const auto g = geometry(c);
            const Inputs in(g, c.batch);
            Buffers got(g, tile, c.batch);
            kernels::winograd_forward(g, tile, {act},
                                      {.batch = c.batch,
                                       .x = in.x.data(),
                                       .w = in.w.data(),
                                       .b = in.b.data(),
                                       .y = got.y.data()},
                                      got.u.data(), nullptr);
            auto expected = naive_conv(g, c.batch, in.x, in.w, in.b);
            for (double& value : expected) {
              const bool relu = act == kernels::Activation::kRelu;
              const bool tanh = act == kernels::Activation::kTanh;
              value = relu ? std::max(value, 0.0) : (tanh ? std::tanh(value) : value);
            }
            CHECK(worst_difference(got.y, expected) < tolerance(c, tile));
          }
        }
      }
    }
  }

  // A weight gradient of more than 256K floats per chunk (36 points x 80 x 144 here) is summed
  // over groups of two chunks: 33 samples of 16 per chunk are three chunks, groups {0, 1}, {2}.
  // Two partials: the buffer is sized for the groups, not the chunks.
  TEST_CASE("Winograd's weight gradient over groups of chunks equals direct loops") {
    check_grouped_weight_gradient(Case{33, 7, 7, 80, 144, 1}, 33, 2);
  }

  // A step's partials past 512 x 1024 floats are summed over larger groups while four groups
  // remain: 60 samples of 14x14x32 -> 32 are 15 chunks of four samples, whose 15 partials of
  // 36 x 32 x 32 floats (552,960) go as groups of two, the last alone (8 partials). The buffer
  // holds the most groups of any batch up to 60: 14 chunks (516,096 floats) stay in groups of
  // one. A smaller batch (an epoch's last) of 28: 7 chunks, 7 groups of one.
  TEST_CASE("Winograd's weight gradient over larger groups when the partials are large") {
    const Case c{60, 14, 14, 32, 32, 1};
    check_grouped_weight_gradient(c, 60, 14);
    check_grouped_weight_gradient(c, 28, 7);
  }

  // A batch's V past the cores' L2 is not kept: backward transforms x again per chunk. 20
  // samples of 28x28x32 are ten chunks of V, 1.13M floats.
  TEST_CASE("Winograd backward that transforms the input again equals direct loops and kept V") {
    const Case c{20, 28, 28, 32, 32, 1};
    const auto g = geometry(c);
    REQUIRE_FALSE(kernels::winograd_keeps_inputs(g, 4, c.batch));
    REQUIRE(kernels::winograd_keeps_inputs(g, 4, 2));
    Inputs in(g, c.batch);
    for (const auto act : {kernels::Activation::kRelu, kernels::Activation::kTanh}) {
      CAPTURE(kernels::activation_name(act));
      const Buffers got = run(g, 4, c.batch, in, act);
      CHECK(bitwise_equal(got.dw, with_threads(1, [&] { return run(g, 4, c.batch, in, act); }).dw));
      std::vector<float> delta = in.dy;  // dy through the activation, as forward applied it
      for (std::size_t i = 0; i < delta.size(); ++i) {
        delta[i] *= act == kernels::Activation::kRelu ? (got.y[i] > 0.0F ? 1.0F : 0.0F)
                                                      : 1.0F - got.y[i] * got.y[i];
      }
      const auto expected = naive_conv_backward(g, c.batch, in.x, in.w, delta);
      const double tolerance = 1e-5 * static_cast<double>(c.in_c + 4);
      CHECK(worst_difference(got.dx, expected.dx) < tolerance);
      const double wide = tolerance * static_cast<double>(c.batch * g.pixels()) / 16.0;
      CHECK(worst_difference(got.dw, expected.dw) < wide);
    }
    // Only the first chunk (two samples) with a gradient: the other chunks' partials are exact
    // zeros, so dW must be bitwise what a batch of those two samples gives with its V kept.
    std::fill(in.dy.begin() + 2 * g.out_size(), in.dy.end(), 0.0F);
    const Buffers rebuilt = run(g, 4, c.batch, in);
    Inputs first(g, 2);
    std::copy_n(in.x.begin(), first.x.size(), first.x.begin());
    std::copy_n(in.dy.begin(), first.dy.size(), first.dy.begin());
    first.w = in.w;
    first.b = in.b;
    CHECK(bitwise_equal(rebuilt.dw, run(g, 4, 2, first).dw));
  }

  // ReLU and linear are fused into the output transforms; the others run as separate passes.
  TEST_CASE("Winograd with ReLU and tanh equals direct loops") {
    const Case c{3, 7, 6, 19, 17, 1};
    const auto g = geometry(c);
    const Inputs in(g, c.batch);
    const auto linear = naive_conv(g, c.batch, in.x, in.w, in.b);
    for (const auto act : {kernels::Activation::kRelu, kernels::Activation::kTanh}) {
      CAPTURE(kernels::activation_name(act));
      std::vector<double> y(linear.size());
      std::vector<float> delta(linear.size());
      for (std::size_t i = 0; i < y.size(); ++i) {
        const bool relu = act == kernels::Activation::kRelu;
        y[i] = relu ? std::max(linear[i], 0.0) : std::tanh(linear[i]);
        delta[i] =
            static_cast<float>(relu ? (y[i] > 0 ? in.dy[i] : 0.0) : in.dy[i] * (1 - y[i] * y[i]));
      }
      const Buffers got = run(g, 2, c.batch, in, act);
      CHECK(worst_difference(got.y, y) < 1e-4);
      const auto expected = naive_conv_backward(g, c.batch, in.x, in.w, delta);
      CHECK(worst_difference(got.dx, expected.dx) < 1e-4);
      CHECK(worst_difference(got.dw, expected.dw) < 1e-3);
      CHECK(worst_difference(got.db, expected.db) < 1e-3);
    }
  }

  // Inference fused with MaxPooling2D(2): bitwise the pooling kernel applied to the plain
  // output of inference, also with a NaN input.
  TEST_CASE("Winograd with 2x2 max pooling equals pooling its output bitwise") {
    for_each_pooling_case([](long tile, const Case& c, kernels::Activation act) {
      const auto g = geometry(c);
      Inputs in(g, c.batch);
      in.x[in.x.size() / 2] = std::nanf("");
      Buffers plain(g, tile, c.batch);
      kernels::winograd_forward(g, tile, {act},
                                {.batch = c.batch,
                                 .x = in.x.data(),
                                 .w = in.w.data(),
                                 .b = in.b.data(),
                                 .y = plain.y.data()},
                                plain.u.data(), nullptr);
      std::vector<float> pooled(static_cast<std::size_t>(c.batch * kernels::pooled_size(g)));
      kernels::winograd_forward(g, tile, {act, kernels::Pooling::kMax2x2},
                                {.batch = c.batch,
                                 .x = in.x.data(),
                                 .w = in.w.data(),
                                 .b = in.b.data(),
                                 .y = pooled.data()},
                                plain.u.data(), nullptr);
      CHECK(bitwise_equal(pooled, UnfusedPool(g, c.batch, plain.y).pooled));
    });
  }

  // Training fused with MaxPooling2D(2): the pooled values, and from a pooled gradient dx, dw
  // and db, bitwise what the convolution and the pooling kernels give apart.
  TEST_CASE("Winograd training with 2x2 max pooling gives the unfused values and gradients") {
    for_each_pooling_case([](long tile, const Case& c, kernels::Activation act) {
      const auto g = geometry(c);
      const Inputs in(g, c.batch);
      const auto pooled_floats = static_cast<std::size_t>(c.batch * kernels::pooled_size(g));
      const auto dpool = pattern(pooled_floats, 0.71);

      Buffers apart(g, tile, c.batch);
      kernels::winograd_forward(g, tile, {act},
                                {.batch = c.batch,
                                 .x = in.x.data(),
                                 .w = in.w.data(),
                                 .b = in.b.data(),
                                 .y = apart.y.data()},
                                apart.u.data(), apart.v.data());
      const UnfusedPool pool(g, c.batch, apart.y);
      const auto dy = pool.scatter(c.batch, dpool);
      kernels::winograd_backward(g, tile, {act},
                                 {.batch = c.batch,
                                  .w = in.w.data(),
                                  .y = apart.y.data(),
                                  .dy = dy.data(),
                                  .dw = apart.dw.data(),
                                  .db = apart.db.data(),
                                  .dx = apart.dx.data()},
                                 {.u = apart.u.data(),
                                  .v = apart.v.data(),
                                  .delta = apart.delta.data(),
                                  .partials = apart.partials.data()});

      Buffers fused(g, tile, c.batch);
      std::vector<float> pooled(pooled_floats);
      std::vector<float> winners(pooled_floats);
      const kernels::Conv2DEpilogue pooling{act, kernels::Pooling::kMax2x2};
      kernels::winograd_forward(g, tile, pooling,
                                {.batch = c.batch,
                                 .x = in.x.data(),
                                 .w = in.w.data(),
                                 .b = in.b.data(),
                                 .y = pooled.data(),
                                 .winners = winners.data()},
                                fused.u.data(), fused.v.data());
      kernels::winograd_backward(g, tile, pooling,
                                 {.batch = c.batch,
                                  .w = in.w.data(),
                                  .y = pooled.data(),
                                  .dy = dpool.data(),
                                  .winners = winners.data(),
                                  .dw = fused.dw.data(),
                                  .db = fused.db.data(),
                                  .dx = fused.dx.data()},
                                 {.u = fused.u.data(),
                                  .v = fused.v.data(),
                                  .delta = fused.delta.data(),
                                  .partials = fused.partials.data()});
      CHECK(bitwise_equal(pooled, pool.pooled));
      CHECK(bitwise_equal(fused.dx, apart.dx));
      CHECK(bitwise_equal(fused.dw, apart.dw));
      CHECK(bitwise_equal(fused.db, apart.db));
    });
  }

  // The first layer of a model needs no dx: backward then takes the grouped path whenever the
  // output channels allow, whatever the input channels.
  TEST_CASE("Winograd backward without an input gradient equals direct loops") {
    for (const Case& c : kCases) {
      CAPTURE(c.batch);
      CAPTURE(c.in_c);
      CAPTURE(c.out_c);
      const auto g = geometry(c);
      const Inputs in(g, c.batch);
      const long tile = c.k == 2 ? 4 : 2;  // F(2x2) where the kernel allows
      Buffers bufs(g, tile, c.batch);
      const kernels::Conv2DEpilogue linear{kernels::Activation::kLinear};
      kernels::winograd_forward(g, tile, linear,
                                {.batch = c.batch,
                                 .x = in.x.data(),
                                 .w = in.w.data(),
                                 .b = in.b.data(),
                                 .y = bufs.y.data()},
                                bufs.u.data(), bufs.v.data());
      kernels::winograd_backward(g, tile, linear,
                                 {.batch = c.batch,
                                  .w = in.w.data(),
                                  .y = bufs.y.data(),
                                  .dy = in.dy.data(),
                                  .dw = bufs.dw.data(),
                                  .db = bufs.db.data()},
                                 {.u = bufs.u.data(),
                                  .v = bufs.v.data(),
                                  .delta = bufs.delta.data(),
                                  .partials = bufs.partials.data()});
      const auto expected = naive_conv_backward(g, c.batch, in.x, in.w, in.dy);
      const double wide = (c.k == 2 ? 1e-5 : 2e-6) * static_cast<double>(c.in_c + 4) *
                          static_cast<double>(c.batch * g.pixels()) / 16.0;
      CHECK(worst_difference(bufs.dw, expected.dw) < wide);
      CHECK(worst_difference(bufs.db, expected.db) < wide);
    }
  }

  TEST_CASE("Point gradient products add naive loops for every width and a short last block") {
    const long points = 3;
    const long rows = 13;
    const long a_stride = rows * 29 + 3;  // room for the largest k
    const long b_stride = rows * 64 + 16;
    for (const long n : {16L, 24L, 32L, 40L, 48L, 56L, 64L}) {
      for (const long k : {4L, 7L, 29L}) {  // 29: full register blocks of rows, then a short one
        CAPTURE(n);
        CAPTURE(k);
        const auto a = pattern(static_cast<std::size_t>(points * a_stride), 0.37);
        const auto b = pattern(static_cast<std::size_t>(points * b_stride), 0.23);
        const auto start = pattern(static_cast<std::size_t>(points * k * n), 0.11);
        std::vector<float> got = start;
        kernels::point_gradient_products(points, rows, k, n, a.data(), a_stride, b.data(), b_stride,
                                         got.data());
        double worst = 0.0;
        for (long xi = 0; xi < points; ++xi) {
          for (long r = 0; r < k; ++r) {
            for (long j = 0; j < n; ++j) {
              double sum = start[(xi * k + r) * n + j];
              for (long t = 0; t < rows; ++t) {
                sum += static_cast<double>(a[xi * a_stride + t * k + r]) *
                       b[xi * b_stride + t * n + j];
              }
              worst = std::max(worst, std::abs(got[(xi * k + r) * n + j] - sum));
            }
          }
        }
        CHECK(worst < 1e-5);
      }
    }
  }

  TEST_CASE("Point gradient products from zero ignore what G held and equal adding to zeros") {
    const long points = 2;
    const long rows = 9;
    const long a_stride = rows * 7 + 3;
    const long b_stride = rows * 64 + 16;
    for (const long n : {16L, 24L, 32L, 40L, 48L, 56L, 64L}) {
      CAPTURE(n);
      const long k = 7;
      const auto a = pattern(static_cast<std::size_t>(points * a_stride), 0.41);
      const auto b = pattern(static_cast<std::size_t>(points * b_stride), 0.29);
      std::vector<float> added(static_cast<std::size_t>(points * k * n), 0.0F);
      kernels::point_gradient_products(points, rows, k, n, a.data(), a_stride, b.data(), b_stride,
                                       added.data(), kernels::Accumulate::kAdd);
      std::vector<float> started(added.size(), std::numeric_limits<float>::quiet_NaN());
      kernels::point_gradient_products(points, rows, k, n, a.data(), a_stride, b.data(), b_stride,
                                       started.data(), kernels::Accumulate::kFromZero);
      CHECK(bitwise_equal(added, started));
    }
  }

  TEST_CASE("Point products equal naive loops for every row count and output width") {
    const long points = 3;
    const long k = 7;
    const long v_stride = 8 * k + 5;  // the tiles of a group sit inside a larger block
    const long p_stride = kernels::kPointProductRows * 64 + 16;
    const auto v = pattern(static_cast<std::size_t>(points * v_stride), 0.37);
    for (const long n : {16L, 24L, 32L, 40L, 48L, 56L, 64L}) {
      const auto u = pattern(static_cast<std::size_t>(points * k * n), 0.23);
      for (long rows = 1; rows <= kernels::kPointProductRows; ++rows) {
        CAPTURE(n);
        CAPTURE(rows);
        REQUIRE(kernels::point_products_apply(n));
        std::vector<float> got(static_cast<std::size_t>(points * p_stride), -7.0F);
        kernels::point_products(points, rows, k, n, v.data(), v_stride, u.data(), got.data(),
                                p_stride);
        double worst = 0.0;
        for (long xi = 0; xi < points; ++xi) {
          for (long i = 0; i < rows; ++i) {
            for (long j = 0; j < n; ++j) {
              double sum = 0.0;
              for (long kk = 0; kk < k; ++kk) {
                sum +=
                    static_cast<double>(v[xi * v_stride + i * k + kk]) * u[(xi * k + kk) * n + j];
              }
              worst = std::max(worst, std::abs(got[xi * p_stride + i * n + j] - sum));
            }
          }
          // Nothing past the group's rows is written.
          CHECK(got[xi * p_stride + rows * n] == -7.0F);
        }
        CHECK(worst < 1e-5);
      }
    }
    CHECK_FALSE(kernels::point_products_apply(17));
    CHECK_FALSE(kernels::point_products_apply(20));
    CHECK_FALSE(kernels::point_products_apply(72));
    CHECK_FALSE(kernels::point_products_apply(80));
  }

  TEST_CASE("Winograd applies to 3x3 and 5x5 stride-1 kernels only") {
    CHECK(kernels::winograd_applies({8, 8, 4, 8, 8, 4, 3, 3, 1, 1, 1, 1}));
    CHECK(kernels::winograd_applies({8, 8, 4, 8, 8, 4, 5, 5, 1, 1, 2, 2}));
    CHECK(kernels::winograd_tile({8, 8, 4, 8, 8, 4, 5, 5, 1, 1, 2, 2}) == 2);
    CHECK_FALSE(kernels::winograd_applies({8, 8, 4, 4, 4, 4, 3, 3, 2, 2, 1, 1}));
    CHECK_FALSE(kernels::winograd_applies({8, 8, 4, 4, 4, 4, 5, 5, 2, 2, 2, 2}));
    CHECK_FALSE(kernels::winograd_applies({8, 8, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 2, 2}));
    CHECK_FALSE(kernels::winograd_applies({8, 8, 4, 8, 6, 4, 3, 1, 1, 1, 1, 0}));
    CHECK_FALSE(kernels::winograd_applies({8, 8, 4, 8, 8, 4, 7, 7, 1, 1, 3, 3}));
  }

  TEST_CASE("A batch of one chunk spread over the threads gives the bits of one thread") {
    // 144 filters take a library GEMM per point; a batch within one chunk (batch 1 here) runs
    // those GEMMs and the output tiles as parallel tasks instead of one chunk task. Inference
    // (no V kept) and training, with the kernel's own epilogue (ReLU, pooled or not) and with
    // the caller's (tanh). The larger batch's first sample agrees to rounding only: oneDNN's
    // AVX2 sgemm rounds the rows of a GEMM differently with the GEMM's row count (49 rows
    // against 98 on an AMD EPYC without AVX-512; equal bits with AVX-512).
    const Case c{9, 14, 14, 32, 144, 1};
    const auto g = geometry(c);
    const Inputs in(g, c.batch);
    const kernels::Conv2DEpilogue epilogues[] = {
        {kernels::Activation::kRelu},
        {kernels::Activation::kRelu, kernels::Pooling::kMax2x2},
        {kernels::Activation::kTanh},
        {kernels::Activation::kLinear}};
    for (const long tile : {2L, 4L}) {
      for (const auto& epilogue : epilogues) {
        for (const bool training : {false, true}) {
          CAPTURE(tile);
          CAPTURE(kernels::activation_name(epilogue.act));
          CAPTURE(training);
          const bool pooled = epilogue.pooling == kernels::Pooling::kMax2x2;
          const long y_size = pooled ? kernels::pooled_size(g) : g.out_size();
          auto forward = [&](long batch) {
            Buffers bufs(g, tile, batch);
            bufs.y.assign(static_cast<std::size_t>(batch * y_size), 0.0F);
            std::vector<float> winners(bufs.y.size());
            kernels::winograd_forward(g, tile, epilogue,
                                      {.batch = batch,
                                       .x = in.x.data(),
                                       .w = in.w.data(),
                                       .b = in.b.data(),
                                       .y = bufs.y.data(),
                                       .winners = training && pooled ? winners.data() : nullptr},
                                      bufs.u.data(), training ? bufs.v.data() : nullptr);
            return bufs.y;
          };
          const std::vector<float> whole = with_threads(2, [&] { return forward(c.batch); });
          const std::vector<float> alone = with_threads(2, [&] { return forward(1); });
          CHECK(bitwise_equal(alone, with_threads(1, [&] { return forward(1); })));
          const std::vector<float> first(whole.begin(), whole.begin() + y_size);
          CHECK(worst_difference(alone, first) < 1e-5);
        }
      }
    }
  }

  TEST_CASE("Winograd gives bitwise-equal results on 1 and 2 threads") {
    for (const Case& c : {Case{9, 14, 14, 32, 64, 1}, Case{9, 14, 14, 32, 64, 2, 5},
                          Case{9, 14, 14, 32, 64, 1, 2}}) {
      const auto g = geometry(c);
      const Inputs in(g, c.batch);
      for (const long tile : {2L, 4L}) {
        if (!takes_tile(c, tile)) {
          continue;
        }
        const Buffers one = with_threads(1, [&] { return run(g, tile, c.batch, in); });
        const Buffers two = with_threads(2, [&] { return run(g, tile, c.batch, in); });
        CHECK(one.y == two.y);
        CHECK(one.dx == two.dx);
        CHECK(one.dw == two.dw);
        CHECK(one.db == two.db);
      }
    }
  }
}

}  // namespace runner::test
