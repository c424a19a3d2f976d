// dense_rows.hpp (SeparableConv2D's pointwise map) against loops in double: the forward through
// the few-inputs kernel (at most 64 inputs) and through the library GEMM, every activation kind,
// rows over several 512-row blocks; the backward's dw, db and dx.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "layers/kernels/dense_rows.hpp"
#include "layers/kernels/dense_small.hpp"
#include "tests/support/conv_reference.hpp"

namespace runner::test {
namespace {

struct Rows {
  kernels::DenseRowsGeometry g;
  std::vector<float> x, w, b;
  explicit Rows(const kernels::DenseRowsGeometry& shape)
      : g(shape),
        x(pattern(static_cast<std::size_t>(g.rows * g.in), 0.37)),
        w(pattern(static_cast<std::size_t>(g.in * g.out), 0.23)),
        b(pattern(static_cast<std::size_t>(g.out), 1.1)) {}

  // x w + b in double, before the activation.
  [[nodiscard]] std::vector<double> linear() const {
    std::vector<double> y(static_cast<std::size_t>(g.rows * g.out));
    for (long r = 0; r < g.rows; ++r) {
      for (long o = 0; o < g.out; ++o) {
        double v = b[static_cast<std::size_t>(o)];
        for (long i = 0; i < g.in; ++i) {
          v += static_cast<double>(x[static_cast<std::size_t>(r * g.in + i)]) *
               w[static_cast<std::size_t>(i * g.out + o)];
        }
        y[static_cast<std::size_t>(r * g.out + o)] = v;
      }
    }
    return y;
  }
};

double activated(kernels::Activation act, double v) {
  switch (act.fn) {
    case kernels::Activation::kRelu:
      return std::max(v, 0.0);
    case kernels::Activation::kTanh:
      return std::tanh(v);
    default:
      return v;
  }
}

}  // namespace

TEST_SUITE("dense rows kernel") {
  TEST_CASE("The pointwise forward equals loops in double on both paths and every activation") {
    // 1100 rows: two full 512-row blocks and a short one.
    for (const kernels::DenseRowsGeometry& g :
         {kernels::DenseRowsGeometry{1100, 32, 64}, kernels::DenseRowsGeometry{1100, 7, 20},
          kernels::DenseRowsGeometry{1100, 80, 48}}) {
      CAPTURE(g.in);
      CAPTURE(g.out);
      CHECK(kernels::dense_few_inputs_apply(g.in, g.out) == (g.in <= 64));
      const Rows in(g);
      const auto linear = in.linear();
      for (const auto act :
           {kernels::Activation::kRelu, kernels::Activation::kLinear, kernels::Activation::kTanh}) {
        CAPTURE(kernels::activation_name(act));
        std::vector<float> y(linear.size(), std::nanf(""));
        kernels::dense_rows_forward(g, act, {in.x.data(), in.w.data(), in.b.data(), y.data()});
        std::vector<double> expected(linear.size());
        std::transform(linear.begin(), linear.end(), expected.begin(),
                       [&](double v) { return activated(act, v); });
        CHECK(worst_difference(y, expected) < 2e-6 * static_cast<double>(g.in + 4));
      }
    }
  }

  TEST_CASE("The pointwise backward gives the gradients of loops in double") {
    for (const kernels::DenseRowsGeometry& g :
         {kernels::DenseRowsGeometry{1100, 32, 64}, kernels::DenseRowsGeometry{600, 80, 48}}) {
      CAPTURE(g.in);
      const Rows in(g);
      const auto dy = pattern(static_cast<std::size_t>(g.rows * g.out), 0.71);
      std::vector<float> y(dy.size());
      const auto act = kernels::Activation::kLinear;
      kernels::dense_rows_forward(g, act, {in.x.data(), in.w.data(), in.b.data(), y.data()});
      std::vector<float> dw(in.w.size(), 0.0F);
      std::vector<float> db(in.b.size(), 0.0F);
      std::vector<float> dx(in.x.size(), std::nanf(""));
      std::vector<float> delta(dy.size());
      std::vector<float> partials(kernels::dense_rows_partials_size(g));
      kernels::dense_rows_backward(g, act,
                                   {.x = in.x.data(),
                                    .w = in.w.data(),
                                    .y = y.data(),
                                    .dy = dy.data(),
                                    .dw = dw.data(),
                                    .db = db.data(),
                                    .dx = dx.data(),
                                    .delta = delta.data(),
                                    .partials = partials.data()});
      std::vector<double> want_dw(dw.size());
      std::vector<double> want_db(db.size());
      std::vector<double> want_dx(dx.size());
      for (long r = 0; r < g.rows; ++r) {
        for (long o = 0; o < g.out; ++o) {
          const double d = dy[static_cast<std::size_t>(r * g.out + o)];
          want_db[static_cast<std::size_t>(o)] += d;
          for (long i = 0; i < g.in; ++i) {
            want_dw[static_cast<std::size_t>(i * g.out + o)] +=
                d * in.x[static_cast<std::size_t>(r * g.in + i)];
            want_dx[static_cast<std::size_t>(r * g.in + i)] +=
                d * in.w[static_cast<std::size_t>(i * g.out + o)];
          }
        }
      }
      CHECK(worst_difference(dx, want_dx) < 2e-6 * static_cast<double>(g.out + 4));
      CHECK(worst_difference(dw, want_dw) < 1e-6 * static_cast<double>(g.rows + 4));
      CHECK(worst_difference(db, want_db) < 1e-6 * static_cast<double>(g.rows + 4));
    }
  }
}

}  // namespace runner::test
