#pragma once
// Finite-difference gradient checks. The loss is L = sum(y * r) for a fixed pseudo-random r, so
// dL/dy = r; analytic gradients come from Model::backward, numeric ones from central
// differences with the loss accumulated in double.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "framework/core/rng.hpp"
#include "framework/nn/model.hpp"

namespace runner::test {

struct GradcheckResult {
  double max_input_error = 0;
  double max_param_error = 0;
};

inline double weighted_sum(const Tensor& y, const Tensor& r) {
  double s = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    s += static_cast<double>(y[i]) * static_cast<double>(r[i]);
  }
  return s;
}

// |numeric - analytic| / max(1, |numeric|, |analytic|).
inline double relative_error(double numeric, double analytic) {
  const double scale = std::max({1.0, std::abs(numeric), std::abs(analytic)});
  return std::abs(numeric - analytic) / scale;
}

// dL/dvalue by central differences, L = sum(model(x) * r).
inline double numeric_derivative(Model& model, const Tensor& x, const Tensor& r, const Pass& pass,
                                 float& value, float eps) {
  const float saved = value;
  value = saved + eps;
  const double up = weighted_sum(model.forward(x, pass), r);
  value = saved - eps;
  const double down = weighted_sum(model.forward(x, pass), r);
  value = saved;
  return (up - down) / (2.0 * static_cast<double>(eps));
}

// The loss weights r: uniform in [-1, 1] from `seed`, one per output element.
inline Tensor loss_weights(const Model& model, std::int64_t batch, std::uint64_t seed) {
  Tensor r(model.output_shape().with_batch(batch));
  Rng rng(seed);
  for (std::size_t i = 0; i < r.size(); ++i) {
    r[i] = rng.uniform(-1.0F, 1.0F);
  }
  return r;
}

// The output and every parameter gradient of `steps` training passes on x (pass steps
// first_step, first_step + 1, ...), each against the loss weights from `seed`: how tests state
// that two models (fused and not, buffers shared and not) compute the same.
inline std::vector<float> training_bits(Model& model, const Tensor& x, std::uint64_t seed,
                                        std::uint64_t steps = 1, std::uint64_t first_step = 0) {
  const Tensor r = loss_weights(model, x.batch(), seed);
  std::vector<float> bits;
  for (std::uint64_t step = first_step; step < first_step + steps; ++step) {
    model.zero_gradients();
    const Tensor& y = model.forward(x, Pass{Mode::kTrain, step});
    bits.insert(bits.end(), y.data(), y.data() + y.size());
    model.backward(r);
    bits.insert(bits.end(), model.gradients().begin(), model.gradients().end());
  }
  return bits;
}

// Worst relative error of `analytic` (the gradients backward gave) against central differences
// of every `step`-th parameter (1: every one).
inline double worst_param_error(Model& model, const Tensor& x, const Tensor& r, const Pass& pass,
                                const std::vector<float>& analytic, float eps,
                                std::size_t step = 1) {
  double worst = 0;
  auto params = model.parameters();
  for (std::size_t i = 0; i < params.size(); i += step) {
    worst = std::max(
        worst, relative_error(numeric_derivative(model, x, r, pass, params[i], eps), analytic[i]));
  }
  return worst;
}

// Relative error (relative_error), worst over every input and every `param_step`-th parameter
// (a step coprime to a kernel's row length still reaches every row and column of it).
// Requires: a one-layer model (the layer's own backward gives dL/dinput).
inline GradcheckResult gradcheck(Model& model, Tensor x, const Pass& pass, float eps = 1e-2F,
                                 std::size_t param_step = 1) {
  REQUIRE(model.size() == 1);
  const Tensor r = loss_weights(model, x.batch(), 7);
  model.zero_gradients();
  const Tensor& y = model.forward(x, pass);
  Tensor grad_x(x.shape());
  model.entry(0).layer->backward(x, y, r, &grad_x);
  const std::vector<float> analytic(model.gradients().begin(), model.gradients().end());

  GradcheckResult result;
  result.max_param_error = worst_param_error(model, x, r, pass, analytic, eps, param_step);
  for (std::size_t i = 0; i < x.size(); ++i) {
    result.max_input_error =
        std::max(result.max_input_error,
                 relative_error(numeric_derivative(model, x, r, pass, x[i], eps), grad_x[i]));
  }
  return result;
}

// Worst relative error of the parameter gradients of a whole model (Model::backward, so the
// model's own buffer handling between layers is part of what is checked), over every `step`-th
// parameter.
inline double model_param_gradcheck(Model& model, const Tensor& x, const Pass& pass,
                                    float eps = 1e-2F, std::size_t step = 1) {
  const Tensor r = loss_weights(model, x.batch(), 11);
  model.zero_gradients();
  (void)model.forward(x, pass);
  model.backward(r);
  const std::vector<float> analytic(model.gradients().begin(), model.gradients().end());
  return worst_param_error(model, x, r, pass, analytic, eps, step);
}

}  // namespace runner::test
