#pragma once
// The checks every layer test runs: forward against reference numbers, gradients against
// finite differences, 1 vs 2 threads bitwise, and a checkpoint round trip.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "framework/io/checkpoint.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/gradcheck.hpp"
#include "tests/support/make_layer.hpp"
#include "tests/support/threads.hpp"
#include "tests/support/tmpdir.hpp"

namespace runner::test {

inline void check_close(const Tensor& actual, const std::vector<float>& expected,
                        float tolerance = 1e-5F) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    if (tolerance == 0.0F) {
      CHECK(actual[i] == expected[i]);
    } else {
      CHECK(actual[i] == doctest::Approx(expected[i]).epsilon(tolerance).scale(1.0));
    }
  }
}

struct PassResult {
  std::vector<float> output;
  std::vector<float> grads;
  std::vector<float> grad_input;
};

// Forward and backward of a fresh one-layer model on `x` with `threads` threads.
inline PassResult run_pass(const std::string& yaml, const Tensor& x, int threads, Mode mode) {
  return with_threads(threads, [&] {
    Model model = make_layer_model(yaml, x.shape().without_batch(), x.batch());
    const Pass pass{mode, 3};
    const Tensor& y = model.forward(x, pass);
    Tensor r(y.shape());
    for (std::size_t i = 0; i < r.size(); ++i) {
      r[i] = static_cast<float>(std::cos(0.11 * static_cast<double>(i)));
    }
    model.zero_gradients();
    Tensor grad_x(x.shape());
    model.entry(0).layer->backward(x, y, r, &grad_x);
    return PassResult{std::vector<float>(y.data(), y.data() + y.size()),
                      std::vector<float>(model.gradients().begin(), model.gradients().end()),
                      std::vector<float>(grad_x.data(), grad_x.data() + grad_x.size())};
  });
}

inline void check_thread_independence(const std::string& yaml, const Tensor& x,
                                      Mode mode = Mode::kTrain) {
  const PassResult one = run_pass(yaml, x, 1, mode);
  const PassResult two = run_pass(yaml, x, 2, mode);
  CHECK(bitwise_equal(one.output, two.output));
  CHECK(bitwise_equal(one.grads, two.grads));
  CHECK(bitwise_equal(one.grad_input, two.grad_input));
}

// Layers that keep nothing for backward in inference: the inference output equals the training
// one, and a backward after an inference-mode forward is refused instead of using stale state.
inline void check_inference_keeps_nothing(const std::string& yaml, const Tensor& x) {
  Model m = make_layer_model(yaml, x.shape().without_batch(), x.batch());
  const Tensor train(m.forward(x, Pass{Mode::kTrain, 0}));
  const Tensor& eval = m.forward(x, Pass{Mode::kEval, 0});
  CHECK(bitwise_equal(std::span<const float>(train.data(), train.size()),
                      std::span<const float>(eval.data(), eval.size())));
  Tensor grad_x(x.shape());
  CHECK_THROWS_AS(m.entry(0).layer->backward(x, eval, eval, &grad_x), std::logic_error);
}

// Saves a model's weights, loads them into a model built with another seed, and requires
// the same output.
inline void check_checkpoint_round_trip(const std::string& yaml, const Tensor& x) {
  TempDir dir;
  Model original = make_layer_model(yaml, x.shape().without_batch(), x.batch(), 1);
  const Tensor& expected = original.forward(x, Pass{Mode::kEval, 0});
  const std::vector<float> before(expected.data(), expected.data() + expected.size());
  save_checkpoint(dir / "m.h5", original, CheckpointInfo{}, nullptr, false);
  Model other = make_layer_model(yaml, x.shape().without_batch(), x.batch(), 2);
  load_weights(other, dir / "m.h5");
  const Tensor& y = other.forward(x, Pass{Mode::kEval, 0});
  CHECK(bitwise_equal(before, std::span<const float>(y.data(), y.size())));
}

}  // namespace runner::test
