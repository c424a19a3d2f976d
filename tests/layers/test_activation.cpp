#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/layers/reference/activation.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
// 3 sin(0.37 i): values across [-3, 3], as tests/reference/layers/activation.py uses.
Tensor wide_input() {
  Tensor x = sine_input(Shape{2, 3, 4});
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] *= 3.0F;
  }
  return x;
}

// sin(0.37 i) + 0.05: no value sits on a kink (0 for selu), where differences straddle it.
Tensor off_kink_input(const Shape& shape) {
  Tensor x = sine_input(shape);
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] += 0.05F;
  }
  return x;
}

void check_against_torch(const std::string& fn, const std::vector<float>& y,
                         const std::vector<float>& dx) {
  CAPTURE(fn);
  const std::string yaml = "{type: Activation, activation: " + fn + "}";
  const PassResult r = run_pass(yaml, wide_input(), 1, Mode::kTrain);
  Tensor out(Shape{static_cast<long>(y.size())});
  std::copy(r.output.begin(), r.output.end(), out.data());
  check_close(out, y, 2e-6F);
  Tensor grad(Shape{static_cast<long>(dx.size())});
  std::copy(r.grad_input.begin(), r.grad_input.end(), grad.data());
  check_close(grad, dx, 2e-5F);
}
}  // namespace

TEST_SUITE("Activation") {
  TEST_CASE("Activation keeps the shape and has no weights") {
    Model m = make_layer_model("{type: Activation, activation: relu}", Shape{4, 4, 2}, 1);
    CHECK(m.output_shape() == Shape{4, 4, 2});
    CHECK(m.parameter_count() == 0);
  }

  TEST_CASE("Activation forward and input gradient match PyTorch for every function") {
    // Numbers: tests/reference/layers/activation.py (torch.nn.functional; gelu exact, leaky
    // slope 0.2, softmax over the last axis).
    using namespace reference;
    check_against_torch("relu", kActivationRelu, kActivationReluGrad);
    check_against_torch("sigmoid", kActivationSigmoid, kActivationSigmoidGrad);
    check_against_torch("tanh", kActivationTanh, kActivationTanhGrad);
    check_against_torch("elu", kActivationElu, kActivationEluGrad);
    check_against_torch("selu", kActivationSelu, kActivationSeluGrad);
    check_against_torch("gelu", kActivationGelu, kActivationGeluGrad);
    check_against_torch("swish", kActivationSwish, kActivationSwishGrad);
    check_against_torch("leaky_relu", kActivationLeakyRelu, kActivationLeakyReluGrad);
    check_against_torch("softmax", kActivationSoftmax, kActivationSoftmaxGrad);
  }

  TEST_CASE("Activation gradients match finite differences") {
    for (const std::string fn :
         {"relu", "sigmoid", "tanh", "elu", "selu", "gelu", "swish", "leaky_relu", "softmax"}) {
      CAPTURE(fn);
      Model m = make_layer_model("{type: Activation, activation: " + fn + "}", Shape{3, 4}, 2);
      CHECK(gradcheck(m, off_kink_input(Shape{2, 3, 4}), Pass{Mode::kTrain, 0}, 1e-3F)
                .max_input_error < 1e-2);
    }
  }

  TEST_CASE("Activation gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("{type: Activation, activation: gelu}", sine_input(Shape{33, 500}));
  }

  TEST_CASE("Activation survives a checkpoint round trip (no weights)") {
    check_checkpoint_round_trip("{type: Activation, activation: swish}", sine_input(Shape{2, 8}));
  }

  TEST_CASE("Activation requires a known function") {
    CHECK_THROWS_WITH_AS(make_layer_model("{type: Activation}", Shape{4}, 1),
                         "test:1:1: model.layers[0]: missing required key 'activation'",
                         ConfigError);
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: Activation, activation: relu6}", Shape{4}, 1),
        "test:1:32: model.layers[0].activation: expected one of linear, relu, sigmoid, tanh, elu, "
        "selu, gelu, swish, leaky_relu, softmax, got 'relu6'; did you mean 'relu'?",
        ConfigError);
  }
}

}  // namespace runner::test
