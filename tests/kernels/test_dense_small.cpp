// dense_small.hpp's kernels against loops in double, and bitwise the same values for any split of
// the rows (Dense hands them row tasks).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "layers/kernels/dense_small.hpp"
#include "layers/kernels/lanes.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/conv_reference.hpp"

namespace runner::test {
namespace {

struct Shape {
  long rows, k, n;
};

struct Operands {
  std::vector<float> x, w, w_transposed, b;
  explicit Operands(const Shape& s)
      : x(pattern(static_cast<std::size_t>(s.rows * s.k), 0.37)),
        w(pattern(static_cast<std::size_t>(s.k * s.n), 0.23)),
        w_transposed(w.size()),
        b(pattern(static_cast<std::size_t>(s.n), 1.1)) {
    for (long i = 0; i < s.k; ++i) {
      for (long o = 0; o < s.n; ++o) {
        w_transposed[static_cast<std::size_t>(o * s.k + i)] =
            w[static_cast<std::size_t>(i * s.n + o)];
      }
    }
  }
};

// relu(x w + b) or x w + b in double.
std::vector<double> expected(const Shape& s, const Operands& in, bool bias, bool relu) {
  std::vector<double> y(static_cast<std::size_t>(s.rows * s.n));
  for (long r = 0; r < s.rows; ++r) {
    for (long o = 0; o < s.n; ++o) {
      double v = bias ? in.b[static_cast<std::size_t>(o)] : 0.0;
      for (long i = 0; i < s.k; ++i) {
        v += static_cast<double>(in.x[static_cast<std::size_t>(r * s.k + i)]) *
             in.w[static_cast<std::size_t>(i * s.n + o)];
      }
      y[static_cast<std::size_t>(r * s.n + o)] = relu ? std::max(v, 0.0) : v;
    }
  }
  return y;
}

using Kernel = void (*)(const kernels::DenseProduct&, kernels::Activation);

// The kernel over all rows, and again over rows [0, split) and [split, rows).
std::vector<float> run(Kernel kernel, const Shape& s, const Operands& in, const float* w, bool bias,
                       bool relu, long split = 0) {
  std::vector<float> y(static_cast<std::size_t>(s.rows * s.n), std::nanf(""));
  const float* b = bias ? in.b.data() : nullptr;
  const auto act = relu ? kernels::Activation::kRelu : kernels::Activation::kLinear;
  if (split > 0) {
    kernel({split, s.k, s.n, in.x.data(), w, b, y.data()}, act);
  }
  kernel({s.rows - split, s.k, s.n, in.x.data() + split * s.k, w, b, y.data() + split * s.n}, act);
  return y;
}

void check(Kernel kernel, const Shape& s, bool transposed) {
  const Operands in(s);
  const float* w = transposed ? in.w_transposed.data() : in.w.data();
  for (const bool bias : {true, false}) {
    for (const bool relu : {true, false}) {
      CAPTURE(s.rows);
      CAPTURE(s.k);
      CAPTURE(s.n);
      CAPTURE(bias);
      CAPTURE(relu);
      const auto whole = run(kernel, s, in, w, bias, relu);
      CHECK(worst_difference(whole, expected(s, in, bias, relu)) <
            2e-6 * static_cast<double>(s.k + 4));
      for (const long split : {1L, 5L, 7L}) {
        if (split < s.rows) {
          CHECK(bitwise_equal(whole, run(kernel, s, in, w, bias, relu, split)));
        }
      }
    }
  }
}

}  // namespace

TEST_SUITE("dense small kernels") {
  // Rows past and short of a register block (6), inputs 1 to 64, units with and without a
  // partial last register, and past one block of four registers.
  TEST_CASE("The few-inputs kernel equals loops in double for any split of the rows") {
    for (const Shape& s : {Shape{1, 1, 16}, Shape{13, 30, 512}, Shape{7, 5, 17}, Shape{6, 64, 50},
                           Shape{114, 30, 100}, Shape{5, 9, 64}, Shape{12, 3, 80}}) {
      REQUIRE(kernels::dense_few_inputs_apply(s.k, s.n));
      check(kernels::dense_few_inputs, s, false);
    }
    CHECK_FALSE(kernels::dense_few_inputs_apply(65, 512));
    CHECK_FALSE(kernels::dense_few_inputs_apply(30, kernels::kLanes - 1));
  }

  // Dense's column tasks: blocks of a wider layer's columns (a partial last register included),
  // 300 and 1024 inputs, each block written in place of the whole layer's output.
  TEST_CASE("The column-block kernel equals loops in double and the whole layer's call") {
    for (const Shape& s : {Shape{13, 300, 150}, Shape{7, 1024, 64}, Shape{6, 40, 160}}) {
      CHECK(kernels::dense_column_block_applies(s.k) == (kernels::kLanes == 16));
      const Operands in(s);
      for (const bool bias : {true, false}) {
        for (const auto act : {kernels::Activation::kRelu, kernels::Activation::kTanh}) {
          CAPTURE(s.k);
          CAPTURE(s.n);
          CAPTURE(bias);
          const float* b = bias ? in.b.data() : nullptr;
          std::vector<float> whole(static_cast<std::size_t>(s.rows * s.n), std::nanf(""));
          kernels::dense_column_block({s.rows, s.k, s.n, in.x.data(), in.w.data(), b, whole.data()},
                                      s.n, act);
          const long width = s.n / 2 + 1;  // two blocks of unequal width
          std::vector<float> blocks(whole.size(), std::nanf(""));
          for (const long c0 : {0L, width}) {
            kernels::dense_column_block(
                {s.rows, s.k, std::min(width, s.n - c0), in.x.data(), in.w.data() + c0,
                 b != nullptr ? b + c0 : nullptr, blocks.data() + c0},
                s.n, act);
          }
          CHECK(bitwise_equal(whole, blocks));
          std::vector<double> want = expected(s, in, bias, act == kernels::Activation::kRelu);
          if (act == kernels::Activation::kTanh) {
            for (double& v : want) {
              v = std::tanh(v);
            }
          }
          CHECK(worst_difference(whole, want) < 2e-6 * static_cast<double>(s.k + 4));
        }
      }
    }
    CHECK_FALSE(kernels::dense_column_block_applies(kernels::kColumnBlockMaxK + 1));
  }

  // Inputs shorter than a register, at and past the four chains' 64, with a partial register.
  TEST_CASE("The few-units kernel equals loops in double for any split of the rows") {
    for (const Shape& s : {Shape{3, 1, 1}, Shape{9, 512, 2}, Shape{8, 15, 4}, Shape{7, 64, 3},
                           Shape{2, 65, 1}, Shape{11, 130, 2}, Shape{1, 513, 4}}) {
      REQUIRE(kernels::dense_few_units_apply(s.k, s.n));
      check(kernels::dense_few_units, s, true);
    }
    CHECK_FALSE(kernels::dense_few_units_apply(512, 5));
  }

  TEST_CASE("Both kernels keep a NaN through ReLU") {
    const Shape s{2, 20, 16};
    Operands in(s);
    in.x[3] = std::nanf("");
    const auto y = run(kernels::dense_few_inputs, s, in, in.w.data(), true, true);
    CHECK(std::isnan(y[0]));
    const Shape narrow{2, 20, 2};
    Operands few(narrow);
    few.x[3] = std::nanf("");
    const auto z = run(kernels::dense_few_units, narrow, few, few.w_transposed.data(), true, true);
    CHECK(std::isnan(z[0]));
    CHECK(std::isnan(z[1]));
    CHECK_FALSE(std::isnan(z[2]));
  }
}

}  // namespace runner::test
