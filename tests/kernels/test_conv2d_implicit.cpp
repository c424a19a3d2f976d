#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "layers/kernels/conv2d.hpp"
#include "layers/kernels/conv2d_implicit.hpp"
#include "layers/kernels/lanes.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/conv_reference.hpp"
#include "tests/support/conv_training.hpp"
#include "tests/support/threads.hpp"

namespace runner::test {

namespace {

// Geometries with every kind of pixel group: the strided model's 7x7 -> 4x4 layer (borders on
// all sides), "same" padding only below and right, 80 filters (a block of four vectors and one
// of one), dilation, a 5x5 kernel, padding so wide that corner outputs see no input at all, and
// taps of 6 and 5 channels (LeNet-5's second layer; backward then takes im2col + GEMM).
struct Case {
  long batch, in_h, in_w, in_c, out_c, k, stride, pad, dilation;
};
// The input gradient's groups add stride with dilation and a stride larger than the kernel
// (inputs no tap reaches: their gradient is zero).
constexpr Case kCases[] = {{3, 7, 7, 64, 128, 3, 2, 1, 1}, {2, 14, 13, 32, 64, 3, 2, 0, 1},
                           {2, 9, 8, 8, 80, 3, 1, 1, 1},   {3, 10, 9, 12, 16, 3, 1, 2, 2},
                           {1, 6, 7, 16, 32, 5, 2, 2, 1},  {2, 3, 3, 8, 16, 3, 1, 3, 1},
                           {2, 10, 9, 16, 32, 3, 2, 2, 2}, {2, 8, 7, 32, 16, 2, 3, 1, 1},
                           {2, 14, 14, 6, 16, 5, 1, 0, 1}, {3, 9, 10, 5, 16, 3, 1, 1, 1}};

kernels::Conv2DGeometry geometry(const Case& c) {
  const long span = (c.k - 1) * c.dilation + 1;
  const long out_h = (c.in_h + 2 * c.pad - span) / c.stride + 1;
  const long out_w = (c.in_w + 2 * c.pad - span) / c.stride + 1;
  return {c.in_h, c.in_w,   c.in_c,   out_h, out_w, c.out_c,    c.k,
          c.k,    c.stride, c.stride, c.pad, c.pad, c.dilation, c.dilation};
}

}  // namespace

TEST_SUITE("implicit conv2d kernel") {
  TEST_CASE("implicit_conv_forward equals direct loops for each activation and without a bias") {
    for (const Case& c : kCases) {
      const kernels::Conv2DGeometry g = geometry(c);
      CAPTURE(c.in_h);
      CAPTURE(c.in_c);
      CAPTURE(c.out_c);
      CAPTURE(c.dilation);
      REQUIRE(kernels::implicit_conv_applies(g));
      const auto x = pattern(static_cast<std::size_t>(c.batch * g.in_size()), 0.37);
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 1.1);
      const auto groups = kernels::implicit_forward_groups(g);
      for (const auto act :
           {kernels::Activation::kLinear, kernels::Activation::kRelu, kernels::Activation::kTanh}) {
        CAPTURE(kernels::activation_name(act));
        for (const bool with_bias : {true, false}) {
          std::vector<float> y(static_cast<std::size_t>(c.batch * g.out_size()), std::nanf(""));
          kernels::implicit_conv_forward(g, groups, c.batch, x.data(), w.data(),
                                         with_bias ? b.data() : nullptr, act, y.data());
          auto expected =
              naive_conv(g, c.batch, x, w, with_bias ? b : std::vector<float>(b.size(), 0.0F));
          for (double& v : expected) {
            v = act == kernels::Activation::kRelu   ? std::max(v, 0.0)
                : act == kernels::Activation::kTanh ? std::tanh(v)
                                                    : v;
          }
          CHECK(worst_difference(y, expected) < 1e-4);
        }
      }
    }
  }

  // Blocks of pixels cross samples (border groups have few pixels each), so a batch groups them
  // differently from one sample at a time: the bits must not change.
  TEST_CASE("implicit_conv_forward gives each sample the same bits alone or in a batch") {
    for (const Case& c : kCases) {
      const kernels::Conv2DGeometry g = geometry(c);
      CAPTURE(c.in_h);
      const auto x = pattern(static_cast<std::size_t>(c.batch * g.in_size()), 0.41);
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.19);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 0.7);
      const auto groups = kernels::implicit_forward_groups(g);
      std::vector<float> batched(static_cast<std::size_t>(c.batch * g.out_size()));
      kernels::implicit_conv_forward(g, groups, c.batch, x.data(), w.data(), b.data(),
                                     kernels::Activation::kRelu, batched.data());
      std::vector<float> alone(batched.size());
      for (long n = 0; n < c.batch; ++n) {
        kernels::implicit_conv_forward(g, groups, 1, x.data() + n * g.in_size(), w.data(), b.data(),
                                       kernels::Activation::kRelu, alone.data() + n * g.out_size());
      }
      CHECK(bitwise_equal(batched, alone));
    }
  }

  TEST_CASE("implicit_input_gradient equals direct loops") {
    int covered = 0;
    for (const Case& c : kCases) {
      const kernels::Conv2DGeometry g = geometry(c);
      if (!kernels::implicit_input_gradient_applies(g)) {
        continue;
      }
      ++covered;
      CAPTURE(c.in_h);
      CAPTURE(c.in_c);
      CAPTURE(c.stride);
      CAPTURE(c.dilation);
      const auto x = pattern(static_cast<std::size_t>(c.batch * g.in_size()), 0.37);
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23);
      const auto dy = pattern(static_cast<std::size_t>(c.batch * g.out_size()), 0.53);
      std::vector<float> w_transposed(w.size());
      kernels::transpose_kernel(g, w.data(), w_transposed.data());
      std::vector<float> dx(x.size(), std::nanf(""));
      kernels::implicit_input_gradient(g, kernels::implicit_input_gradient_groups(g), c.batch,
                                       dy.data(), w_transposed.data(), dx.data());
      CHECK(worst_difference(dx, naive_conv_backward(g, c.batch, x, w, dy).dx) < 1e-4);
    }
    CHECK(covered == (kernels::kLanes == 16 ? 5 : 7));  // it needs in_c % kLanes == 0
  }

  // conv2d_backward takes the implicit weight gradient for these geometries, and the implicit
  // input gradient where it applies (else patches and col2im).
  TEST_CASE("conv2d_backward through the implicit kernels equals direct loops") {
    for (const Case& c : kCases) {
      const kernels::Conv2DGeometry g = geometry(c);
      CAPTURE(c.in_h);
      CAPTURE(c.in_c);
      const long batch = 37;  // several backward chunks (4 to 16 samples), one partial
      const auto act = kernels::Activation::kLinear;
      const ConvStepInputs in = patterned_step_inputs(g, batch);
      auto train = [&] { return conv_training_step(g, act, batch, in, true); };
      // Worker threads run chunks too: what they read must be the caller's (its plan, its
      // transposed kernel), and the bits those of one thread.
      const ConvStepGradients two = with_threads(2, train);
      const ConvStepGradients one = with_threads(1, train);
      const auto expected = naive_conv_backward(g, batch, in.x, in.w, in.dy);
      CHECK(worst_difference(two.dx, expected.dx) < 1e-4);
      CHECK(worst_difference(two.dw, expected.dw) < 1e-3);
      CHECK(worst_difference(two.db, expected.db) < 1e-4);
      CHECK(bitwise_equal(one.dx, two.dx));
      CHECK(bitwise_equal(one.dw, two.dw));
      CHECK(bitwise_equal(one.db, two.db));
    }
  }

  // A fused 2x2 max pooling takes the implicit kernel two output rows at a time: the same sums,
  // so the pooled values and the gradients through forward's winners are bitwise the unfused
  // ones (ReLU, a NaN input).
  TEST_CASE("conv2d with 2x2 max pooling through the implicit kernel gives the unfused bits") {
    for (const Case& c : kCases) {
      const kernels::Conv2DGeometry g = geometry(c);
      if (g.out_h < 2 || g.out_w < 2) {
        continue;
      }
      CAPTURE(c.in_h);
      CAPTURE(c.in_c);
      const long batch = 5;
      const auto act = kernels::Activation::kRelu;
      auto x = pattern(static_cast<std::size_t>(batch * g.in_size()), 0.37);
      x[x.size() / 3] = std::nanf("");
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.23);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 1.1);
      std::vector<float> y(static_cast<std::size_t>(batch * g.out_size()));
      kernels::conv2d_forward(
          g, {act}, {.batch = batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()},
          nullptr);
      const UnfusedPool unfused(g, batch, y);
      const auto pooled_floats = static_cast<std::size_t>(batch * kernels::pooled_size(g));
      std::vector<float> pooled(pooled_floats);
      std::vector<float> winners(pooled_floats);
      const kernels::Conv2DEpilogue fused{act, kernels::Pooling::kMax2x2};
      kernels::conv2d_forward(g, fused,
                              {.batch = batch,
                               .x = x.data(),
                               .w = w.data(),
                               .b = b.data(),
                               .y = pooled.data(),
                               .winners = winners.data()},
                              nullptr);
      CHECK(bitwise_equal(pooled, unfused.pooled));

      const auto dpool = pattern(pooled_floats, 0.71);
      auto backward = [&](const kernels::Conv2DEpilogue& epilogue, const std::vector<float>& out,
                          const std::vector<float>& gradient, const float* window_winners) {
        std::vector<float> delta(static_cast<std::size_t>(batch * g.out_size()));
        std::vector<float> partials(kernels::conv2d_partials_size(g, batch));
        std::vector<float> dx(x.size());
        std::vector<float> dw(w.size(), 0.0F);
        std::vector<float> db(b.size(), 0.0F);
        kernels::conv2d_backward(g, epilogue,
                                 {.batch = batch,
                                  .x = x.data(),
                                  .w = w.data(),
                                  .y = out.data(),
                                  .dy = gradient.data(),
                                  .winners = window_winners,
                                  .dw = dw.data(),
                                  .db = db.data(),
                                  .dx = dx.data()},
                                 {.delta = delta.data(), .partials = partials.data()});
        dx.insert(dx.end(), dw.begin(), dw.end());
        dx.insert(dx.end(), db.begin(), db.end());
        return dx;
      };
      CHECK(bitwise_equal(backward(fused, pooled, dpool, winners.data()),
                          backward({act}, y, unfused.scatter(batch, dpool), nullptr)));
    }
  }

  // Batches under a task's 16 samples (batch-1 prediction) are split into bands of rows; the
  // bits must be a full batch's.
  TEST_CASE("conv2d_forward of a small batch (bands of rows) gives a large batch's bits") {
    int banded = 0;
    for (const Case& c : kCases) {
      const kernels::Conv2DGeometry g = geometry(c);
      CAPTURE(c.in_h);
      CAPTURE(c.in_c);
      banded += g.pixels() >= 64 ? 1 : 0;
      const long large = 17;
      const auto x = pattern(static_cast<std::size_t>(large * g.in_size()), 0.43);
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.27);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 0.8);
      for (const auto pooling : {kernels::Pooling::kNone, kernels::Pooling::kMax2x2}) {
        const long y_size =
            pooling == kernels::Pooling::kNone ? g.out_size() : kernels::pooled_size(g);
        auto forward = [&](long batch) {
          std::vector<float> y(static_cast<std::size_t>(batch * y_size));
          kernels::conv2d_forward(
              g, {kernels::Activation::kRelu, pooling},
              {.batch = batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()},
              nullptr);
          return y;
        };
        const auto all = forward(large);
        for (const long small : {1L, 3L}) {
          const auto some = forward(small);
          CHECK(bitwise_equal(some, std::vector<float>(all.begin(), all.begin() + some.size())));
        }
      }
    }
    CHECK(banded == 4);
  }

  // conv2d_forward sends these geometries to the implicit kernel in training and inference alike.
  TEST_CASE("conv2d_forward through the implicit kernel equals direct loops") {
    for (const Case& c : kCases) {
      const kernels::Conv2DGeometry g = geometry(c);
      CAPTURE(c.in_h);
      const long batch = 21;  // tasks of 16 samples and a partial one
      const auto x = pattern(static_cast<std::size_t>(batch * g.in_size()), 0.29);
      const auto w = pattern(static_cast<std::size_t>(g.patch() * g.out_c), 0.31);
      const auto b = pattern(static_cast<std::size_t>(g.out_c), 0.9);
      std::vector<float> y(static_cast<std::size_t>(batch * g.out_size()));
      std::vector<float> col(kernels::conv2d_col_size(g, kernels::Activation::kLinear, batch));
      kernels::conv2d_forward(
          g, {kernels::Activation::kLinear},
          {.batch = batch, .x = x.data(), .w = w.data(), .b = b.data(), .y = y.data()}, col.data());
      CHECK(worst_difference(y, naive_conv(g, batch, x, w, b)) < 1e-4);
    }
  }
}

}  // namespace runner::test
