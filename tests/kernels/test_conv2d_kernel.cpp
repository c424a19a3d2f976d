#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <utility>
#include <vector>

#include "layers/kernels/conv2d.hpp"
#include "layers/kernels/pointwise.hpp"
#include "layers/kernels/pool2d.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/conv_reference.hpp"
#include "tests/support/conv_training.hpp"
#include "tests/support/threads.hpp"

namespace runner::test {

namespace {

// The convolutions a fused 2x2 max pooling is tested on, each with ReLU and linear: the short-k
// kernel (1 input channel, as the first layer of an image model; strides, a 4x4 kernel, 5x5 on
// one channel and 3x3 on three, the longest patches compiled for their length, 7x7 on one and
// 5x5 on three past them; it reads patches in place) and the library GEMM (long patches on many
// channels, more than 64 filters), with odd sizes (a dropped last row or column) and a batch
// that leaves a partial chunk.
template <typename Fn>
void for_each_pooling_case(const Fn& fn) {
  struct Case {
    long batch, in_h, in_w, in_c, out_c, k, stride, pad;
    bool library_gemm;
  };
  for (const Case& c :
       {Case{5, 28, 28, 1, 32, 3, 1, 1, false}, Case{2, 7, 9, 1, 5, 3, 1, 0, false},
        Case{4, 11, 10, 1, 20, 3, 2, 1, false}, Case{2, 8, 9, 1, 7, 4, 1, 1, false},
        Case{5, 9, 8, 3, 70, 3, 2, 1, true}, Case{1, 6, 6, 19, 33, 5, 1, 2, true},
        Case{3, 12, 11, 1, 64, 5, 1, 2, false}, Case{2, 9, 10, 3, 16, 3, 1, 1, false},
        Case{2, 12, 11, 1, 24, 7, 1, 3, false}, Case{3, 10, 10, 3, 20, 5, 1, 2, false}}) {
    for (const auto act : {kernels::Activation::kRelu, kernels::Activation::kLinear}) {
      CAPTURE(c.in_h);
      CAPTURE(c.in_c);
      CAPTURE(c.out_c);
      CAPTURE(kernels::activation_name(act));
      const long out_h = (c.in_h + 2 * c.pad - c.k) / c.stride + 1;
      const long out_w = (c.in_w + 2 * c.pad - c.k) / c.stride + 1;
      const kernels::Conv2DGeometry g{c.in_h, c.in_w, c.in_c,   out_h,    out_w, c.out_c,
                                      c.k,    c.k,    c.stride, c.stride, c.pad, c.pad};
      fn(c.batch, g, act, c.library_gemm);
    }
  }
}

// Fused and unfused outputs: bitwise the same from runner's own kernels. The library GEMM
// (oneDNN) may sum a row in another order when it is given another number of rows (its AVX2
// kernels do: 1.4e-6 apart on outputs up to 1.6 in these cases), so there they agree within
// rounding.
bool same_outputs(std::span<const float> fused, std::span<const float> unfused, bool library_gemm) {
  return library_gemm ? max_abs_difference(fused, unfused) < 1e-5 : bitwise_equal(fused, unfused);
}

}  // namespace

TEST_SUITE("conv2d kernel") {
  TEST_CASE("conv2d_forward equals direct loops for odd sizes and strides and paddings") {
    struct Case {
      long batch, in_h, in_w, in_c, out_c, k, stride, pad;  // pad: TF "same" top/left padding
    };
    for (const Case& c : {Case{1, 5, 5, 1, 3, 3, 1, 1}, Case{3, 7, 6, 5, 17, 3, 2, 0},
                          Case{33, 4, 9, 3, 4, 2, 1, 0}, Case{2, 8, 8, 19, 33, 5, 3, 2},
                          Case{2, 9, 10, 3, 16, 3, 1, 1},  // 27 taps: read in place
                          Case{3, 5, 6, 20, 7, 1, 1, 0},   // 1x1, read in place
                          // One channel, stride 1, at most a register of filters: neighbouring
                          // pixels in a register, in blocks of two, one and a partial one
                          Case{2, 5, 37, 1, 6, 5, 1, 2}, Case{2, 6, 21, 1, 8, 3, 1, 1},
                          Case{1, 4, 17, 1, 7, 3, 1, 0},
                          // One channel, 3x3, strided: the short-k kernel with its nine weights
                          // known at compile time (up to 32 filters: one to four registers,
                          // partial)
                          Case{2, 9, 9, 1, 12, 3, 2, 1}, Case{3, 11, 10, 1, 20, 3, 2, 1},
                          Case{2, 9, 9, 1, 32, 3, 2, 1}, Case{2, 8, 7, 1, 30, 3, 2, 1},
                          // One channel, 3x3, more filters than a register: the stencil over
                          // rows (blocks of four, a pair, a single; partial registers; stride 2
                          // with 64 filters)
                          Case{2, 9, 13, 1, 40, 3, 1, 1}, Case{2, 6, 14, 1, 33, 3, 1, 0},
                          Case{2, 8, 14, 1, 64, 3, 2, 1}, Case{1, 9, 11, 1, 48, 3, 2, 0},
                          // Patches of at most 64 for 16+ filters: dense_small's few-inputs
                          // kernel (1x1 with 24 and 64 channels; the second case, 3x3 on 5)
                          Case{2, 6, 5, 24, 32, 1, 1, 0}, Case{2, 7, 7, 64, 128, 1, 1, 0},
                          // Long patches on an image's channels, read in place with their
                          // length known at run time: 7x7 strided on one channel (49 taps), 5x5
                          // on three (75), 9x9 on one for a register of filters (81); past 81
                          // (7x7 on three) the library GEMM
                          Case{2, 11, 12, 1, 32, 7, 2, 3}, Case{2, 9, 10, 3, 40, 5, 1, 2},
                          Case{1, 12, 13, 1, 12, 9, 1, 4}, Case{2, 10, 9, 3, 24, 7, 2, 3}}) {
      CAPTURE(c.batch);
      CAPTURE(c.in_c);
      CAPTURE(c.out_c);
      CAPTURE(c.k);
      const long out_h = (c.in_h + 2 * c.pad - c.k) / c.stride + 1;
      const long out_w = (c.in_w + 2 * c.pad - c.k) / c.stride + 1;
      const kernels::Conv2DGeometry g{c.in_h, c.in_w, c.in_c,   out_h,    out_w, c.out_c,
                                      c.k,    c.k,    c.stride, c.stride, c.pad, c.pad};
      const auto x = pattern(static_cast<std::size_t>(c.batch * g.in_size()), 0.37);
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 1.1);
      const auto linear = naive_conv(g, c.batch, x, w, b);
      for (const auto act :
           {kernels::Activation::kLinear, kernels::Activation::kRelu, kernels::Activation::kTanh}) {
        CAPTURE(kernels::activation_name(act));
        std::vector<float> y(static_cast<std::size_t>(c.batch * g.out_size()));
        std::vector<float> col(kernels::conv2d_col_size(g, act, c.batch));
        kernels::conv2d_forward(
            g, {act},
            {.batch = c.batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()},
            col.data());
        std::vector<double> expected(linear.size());
        std::transform(linear.begin(), linear.end(), expected.begin(), [&](double v) {
          return act == kernels::Activation::kRelu   ? std::max(v, 0.0)
                 : act == kernels::Activation::kTanh ? std::tanh(v)
                                                     : v;
        });
        CHECK(worst_difference(y, expected) < 1e-4);
      }
    }
  }

  // Inference passes no workspace: each task builds its patches (or padded samples) in a buffer
  // of its thread. The same rows go to the same GEMM calls, so the bits are training's.
  TEST_CASE("conv2d_forward in inference (no workspace) gives the bits of a training forward") {
    for_each_pooling_case([](long batch, const kernels::Conv2DGeometry& g, kernels::Activation act,
                             bool /*library_gemm*/) {
      const auto x = pattern(static_cast<std::size_t>(batch * g.in_size()), 0.37);
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 1.1);
      for (const auto pooling : {kernels::Pooling::kNone, kernels::Pooling::kMax2x2}) {
        const bool pooled = pooling == kernels::Pooling::kMax2x2;
        const long y_size = pooled ? kernels::pooled_size(g) : g.out_size();
        std::vector<float> kept(static_cast<std::size_t>(batch * y_size));
        std::vector<float> alone(kept.size());
        std::vector<float> winners(kept.size());
        std::vector<float> col(kernels::conv2d_col_size(g, act, batch));
        kernels::conv2d_forward(g, {act, pooling},
                                {.batch = batch,
                                 .x = x.data(),
                                 .w = w.data(),
                                 .b = b.data(),
                                 .y = kept.data(),
                                 .winners = pooled ? winners.data() : nullptr},
                                col.data());
        kernels::conv2d_forward(
            g, {act, pooling},
            {.batch = batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = alone.data()},
            nullptr);
        CHECK(bitwise_equal(kept, alone));
      }
    });
  }

  // Sigmoid, tanh, elu and selu are applied by the Activation layer's vector code on every path
  // (the in-place short-k kernel takes them too, as a pass over the rows it has just written): a
  // convolution's own activation gives the bits of its linear output through that code.
  TEST_CASE(
      "conv2d_forward with sigmoid or tanh or elu or selu gives its linear output through "
      "pointwise_forward") {
    for_each_pooling_case([](long batch, const kernels::Conv2DGeometry& g, kernels::Activation act,
                             bool /*library_gemm*/) {
      if (act != kernels::Activation::kLinear) {
        return;  // each geometry once
      }
      const auto x = pattern(static_cast<std::size_t>(batch * g.in_size()), 0.37);
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 1.1);
      auto forward = [&](kernels::Activation a) {
        std::vector<float> y(static_cast<std::size_t>(batch * g.out_size()));
        std::vector<float> col(kernels::conv2d_col_size(g, a, batch));
        kernels::conv2d_forward(
            g, {a}, {.batch = batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()},
            col.data());
        return y;
      };
      const std::vector<float> linear = forward(kernels::Activation::kLinear);
      // (A pair, not a structured binding: clang 14 cannot capture those in CAPTURE's lambda.)
      for (const auto& functions :
           {std::pair{kernels::Activation::kSigmoid, kernels::Pointwise::kSigmoid},
            std::pair{kernels::Activation::kTanh, kernels::Pointwise::kTanh},
            std::pair{kernels::Activation::kElu, kernels::Pointwise::kElu},
            std::pair{kernels::Activation::kSelu, kernels::Pointwise::kSelu}}) {
        const kernels::Activation a = functions.first;
        CAPTURE(kernels::activation_name(a));
        std::vector<float> expected(linear.size());
        kernels::pointwise_forward({.fn = functions.second}, linear.data(), expected.data(),
                                   linear.size());
        const std::vector<float> y = forward(a);
        CHECK(bitwise_equal(y, expected));
        CHECK(max_abs_difference(y, linear) > 0.1);  // the function was applied
      }
    });
  }

  // Inference fused with MaxPooling2D(2): the pooling kernel applied to the plain output,
  // also with a NaN input.
  TEST_CASE("conv2d_forward with 2x2 max pooling equals pooling its output") {
    for_each_pooling_case([](long batch, const kernels::Conv2DGeometry& g, kernels::Activation act,
                             bool library_gemm) {
      auto x = pattern(static_cast<std::size_t>(batch * g.in_size()), 0.37);
      x[x.size() / 3] = std::nanf("");
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 1.1);
      std::vector<float> y(static_cast<std::size_t>(batch * g.out_size()));
      std::vector<float> col(kernels::conv2d_col_size(g, act, batch));
      kernels::conv2d_forward(
          g, {act}, {.batch = batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()},
          col.data());
      std::vector<float> pooled(static_cast<std::size_t>(batch * kernels::pooled_size(g)));
      kernels::conv2d_forward(
          g, {act, kernels::Pooling::kMax2x2},
          {.batch = batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = pooled.data()},
          col.data());
      CHECK(same_outputs(pooled, UnfusedPool(g, batch, y).pooled, library_gemm));
    });
  }

  // Training fused with MaxPooling2D(2): the pooled values, and from a pooled gradient dx, dw
  // and db, bitwise what the convolution and the pooling kernels give apart.
  TEST_CASE("conv2d training with 2x2 max pooling gives the unfused values and gradients") {
    for_each_pooling_case([](long batch, const kernels::Conv2DGeometry& g, kernels::Activation act,
                             bool library_gemm) {
      const auto x = pattern(static_cast<std::size_t>(batch * g.in_size()), 0.37);
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 1.1);
      const auto pooled_floats = static_cast<std::size_t>(batch * kernels::pooled_size(g));
      const auto dpool = pattern(pooled_floats, 0.71);
      const auto outputs = static_cast<std::size_t>(batch * g.out_size());
      const auto partials = kernels::conv2d_partials_size(g, batch);
      struct Result {
        std::vector<float> y, col, delta, partials, dx, dw, db;
      };
      auto buffers = [&](std::size_t y_floats) {
        return Result{std::vector<float>(y_floats),
                      std::vector<float>(kernels::conv2d_col_size(g, act, batch)),
                      std::vector<float>(outputs),
                      std::vector<float>(partials),
                      std::vector<float>(static_cast<std::size_t>(batch * g.in_size())),
                      std::vector<float>(w.size(), 0.0F),
                      std::vector<float>(b.size(), 0.0F)};
      };
      Result apart = buffers(outputs);
      kernels::conv2d_forward(
          g, {act},
          {.batch = batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = apart.y.data()},
          apart.col.data());
      const UnfusedPool pool(g, batch, apart.y);
      const auto dy = pool.scatter(batch, dpool);
      kernels::conv2d_backward(g, {act},
                               {.batch = batch,
                                .x = x.data(),
                                .w = w.data(),
                                .y = apart.y.data(),
                                .dy = dy.data(),
                                .dw = apart.dw.data(),
                                .db = apart.db.data(),
                                .dx = apart.dx.data()},
                               {.col = apart.col.data(),
                                .delta = apart.delta.data(),
                                .partials = apart.partials.data()});

      Result fused = buffers(pooled_floats);
      std::vector<float> winners(pooled_floats);
      const kernels::Conv2DEpilogue pooled{act, kernels::Pooling::kMax2x2};
      kernels::conv2d_forward(g, pooled,
                              {.batch = batch,
                               .x = x.data(),
                               .w = w.data(),
                               .b = b.data(),
                               .y = fused.y.data(),
                               .winners = winners.data()},
                              fused.col.data());
      kernels::conv2d_backward(g, pooled,
                               {.batch = batch,
                                .x = x.data(),
                                .w = w.data(),
                                .y = fused.y.data(),
                                .dy = dpool.data(),
                                .winners = winners.data(),
                                .dw = fused.dw.data(),
                                .db = fused.db.data(),
                                .dx = fused.dx.data()},
                               {.col = fused.col.data(),
                                .delta = fused.delta.data(),
                                .partials = fused.partials.data()});
      CHECK(same_outputs(fused.y, pool.pooled, library_gemm));
      CHECK(bitwise_equal(fused.dx, apart.dx));
      CHECK(bitwise_equal(fused.dw, apart.dw));
      CHECK(bitwise_equal(fused.db, apart.db));
      // Without an input gradient (a first layer) the short-patch kernels read the pooled
      // gradient as it is, never forming the full one: still the same bits.
      std::vector<float> dw(w.size(), 0.0F);
      std::vector<float> db(b.size(), 0.0F);
      kernels::conv2d_backward(g, pooled,
                               {batch, x.data(), w.data(), fused.y.data(), dpool.data(),
                                winners.data(), dw.data(), db.data()},
                               {.col = fused.col.data(),
                                .delta = fused.delta.data(),
                                .partials = fused.partials.data()});
      CHECK(bitwise_equal(dw, apart.dw));
      CHECK(bitwise_equal(db, apart.db));
    });
  }

  // Short patches read in place take their weight gradient three ways: few filters on one input
  // channel (LeNet-5's first layer) with a row's pixels in the lanes, rows of one full register
  // and a partial one or shorter than one; few taps times filters with every sum in registers;
  // more (a 5x5 patch on 64 filters) by groups of taps over blocks of pixels, the blocks' last
  // partial. Values as direct loops, bits on 1 and 2 threads, with and without an input gradient.
  // Without one, the output gradient is read as it is and, after ReLU, through its derivative:
  // the bits of the delta the input gradient's path writes first.
  TEST_CASE("conv2d weight gradient of short patches equals direct loops") {
    struct Case {
      long batch, in_h, in_w, in_c, out_c, kh, kw, pad;
    };
    for (const Case& c : {Case{5, 28, 28, 1, 6, 5, 5, 0}, Case{3, 28, 28, 1, 6, 5, 5, 2},
                          Case{4, 9, 40, 1, 8, 3, 3, 1}, Case{6, 7, 7, 1, 1, 3, 3, 0},
                          Case{2, 6, 21, 1, 3, 3, 9, 0}, Case{3, 9, 10, 1, 32, 3, 3, 1},
                          Case{3, 13, 11, 1, 64, 5, 5, 2}, Case{5, 13, 11, 3, 40, 3, 3, 1},
                          Case{7, 10, 9, 1, 48, 4, 4, 1}, Case{3, 12, 11, 1, 32, 7, 7, 3},
                          Case{2, 10, 9, 3, 40, 5, 5, 2}, Case{2, 12, 13, 1, 8, 9, 9, 4}}) {
      CAPTURE(c.in_w);
      CAPTURE(c.in_c);
      CAPTURE(c.out_c);
      const long out_h = c.in_h + 2 * c.pad - c.kh + 1;
      const long out_w = c.in_w + 2 * c.pad - c.kw + 1;
      const kernels::Conv2DGeometry g{c.in_h, c.in_w, c.in_c, out_h, out_w, c.out_c,
                                      c.kh,   c.kw,   1,      1,     c.pad, c.pad};
      const long batch = c.batch;
      const ConvStepInputs in = patterned_step_inputs(g, batch);
      for (const auto act : {kernels::Activation::kLinear, kernels::Activation::kRelu}) {
        CAPTURE(kernels::activation_name(act));
        auto train = [&](bool with_dx) { return conv_training_step(g, act, batch, in, with_dx); };
        const ConvStepGradients two = with_threads(2, [&] { return train(false); });
        const ConvStepGradients one = with_threads(1, [&] { return train(false); });
        const ConvStepGradients with_dx = with_threads(2, [&] { return train(true); });
        if (act == kernels::Activation::kLinear) {
          const auto expected = naive_conv_backward(g, batch, in.x, in.w, in.dy);
          CHECK(worst_difference(two.dw, expected.dw) < 1e-3);
          CHECK(worst_difference(two.db, expected.db) < 1e-4);
        }
        CHECK(bitwise_equal(one.dw, two.dw));
        CHECK(bitwise_equal(one.db, two.db));
        CHECK(bitwise_equal(with_dx.dw, two.dw));
        CHECK(bitwise_equal(with_dx.db, two.db));
      }
    }
  }

  TEST_CASE("im2col then col2im_add counts how often each input is used") {
    const kernels::Conv2DGeometry g{4, 5, 2, 4, 5, 1, 3, 3, 1, 1, 1, 1};
    std::vector<float> x(static_cast<std::size_t>(g.in_size()), 1.0F);
    std::vector<float> col(static_cast<std::size_t>(g.pixels() * g.patch()));
    kernels::im2col(g, x.data(), col.data());
    std::vector<float> back(x.size(), 0.0F);
    kernels::col2im_add(g, col.data(), back.data());
    CHECK(back[0] == 4.0F);                                          // corner: 2x2 windows
    CHECK(back[static_cast<std::size_t>((1 * 5 + 1) * 2)] == 9.0F);  // interior: 3x3 windows
  }

  // col2im_add adds a patch row's taps as one span: each input float must still get its
  // additions in the order of a tap-by-tap loop (pixel, ky, kx, channel), so the same bits, with
  // padding on every side, strides, dilations and channel counts below, at and above a register.
  TEST_CASE("col2im_add gives the bits of a tap by tap loop") {
    struct Case {
      long in_h, in_w, in_c, k, stride, pad, dilation;
    };
    for (const Case& c :
         {Case{14, 14, 6, 5, 1, 0, 1}, Case{9, 11, 1, 3, 1, 1, 1}, Case{8, 9, 17, 3, 2, 1, 1},
          Case{10, 12, 3, 3, 1, 2, 2}, Case{7, 7, 16, 4, 1, 3, 1}, Case{12, 13, 5, 2, 3, 0, 3}}) {
      CAPTURE(c.in_c);
      CAPTURE(c.k);
      const long span = (c.k - 1) * c.dilation + 1;
      const long out_h = (c.in_h + 2 * c.pad - span) / c.stride + 1;
      const long out_w = (c.in_w + 2 * c.pad - span) / c.stride + 1;
      const kernels::Conv2DGeometry g{c.in_h, c.in_w, c.in_c,     out_h,     out_w,
                                      1,      c.k,    c.k,        c.stride,  c.stride,
                                      c.pad,  c.pad,  c.dilation, c.dilation};
      const auto col = pattern(static_cast<std::size_t>(g.pixels() * g.patch()), 0.61);
      std::vector<float> expected(static_cast<std::size_t>(g.in_size()), 0.25F);
      for_each_tap(g, 1, [&](std::size_t xi, std::size_t wi, std::size_t yi) {
        expected[xi] += col[yi * static_cast<std::size_t>(g.patch()) + wi];
      });
      std::vector<float> x(expected.size(), 0.25F);
      kernels::col2im_add(g, col.data(), x.data());
      CHECK(bitwise_equal(x, expected));
    }
  }

  TEST_CASE("max_pool2d_forward equals a direct scan for odd sizes") {
    const kernels::Pool2DGeometry g{7, 5, 3, 3, 2, 3, 2, 2, 2, 0, 0};
    const long batch = 3;
    const auto x = pattern(static_cast<std::size_t>(batch * g.in_size()), 0.91);
    std::vector<float> y(static_cast<std::size_t>(batch * g.out_size()));
    std::vector<std::int32_t> arg(y.size());
    kernels::max_pool2d_forward(g, batch, x.data(), y.data(), arg.data());
    for (long n = 0; n < batch; ++n) {
      for (long oh = 0; oh < g.out_h; ++oh) {
        for (long ow = 0; ow < g.out_w; ++ow) {
          for (long c = 0; c < g.channels; ++c) {
            float best = -1e30F;
            for (long ky = 0; ky < g.pool_h; ++ky) {
              for (long kx = 0; kx < g.pool_w; ++kx) {
                best =
                    std::max(best, x[static_cast<std::size_t>(
                                       n * g.in_size() +
                                       ((oh * 2 + ky) * g.in_w + ow * 2 + kx) * g.channels + c)]);
              }
            }
            CHECK(y[static_cast<std::size_t>(n * g.out_size() + (oh * g.out_w + ow) * g.channels +
                                             c)] == best);
          }
        }
      }
    }
  }
}

}  // namespace runner::test
