#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/layers/reference/activation.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("LeakyReLU") {
  TEST_CASE("LeakyReLU matches PyTorch with Keras' default slope 0.3") {
    // Numbers: tests/reference/layers/activation.py (F.leaky_relu(x, 0.3)).
    Tensor x = sine_input(Shape{2, 3, 4});
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] *= 3.0F;
    }
    const PassResult r = run_pass("LeakyReLU", x, 1, Mode::kTrain);
    Tensor y(Shape{static_cast<long>(r.output.size())});
    std::copy(r.output.begin(), r.output.end(), y.data());
    check_close(y, reference::kActivationLeakyReluLayer, 0);
    Tensor dx(Shape{static_cast<long>(r.grad_input.size())});
    std::copy(r.grad_input.begin(), r.grad_input.end(), dx.data());
    check_close(dx, reference::kActivationLeakyReluLayerGrad, 1e-6F);
  }

  TEST_CASE("LeakyReLU gradients match finite differences") {
    Model m = make_layer_model("{type: LeakyReLU, alpha: 0.1}", Shape{5, 3}, 2);
    Tensor x = sine_input(Shape{2, 5, 3});
    for (std::size_t i = 0; i < x.size(); ++i) {
      x[i] += 0.05F;  // off the kink at 0, where a central difference straddles it
    }
    CHECK(gradcheck(m, x, Pass{Mode::kTrain, 0}, 1e-3F).max_input_error < 1e-3);
  }

  TEST_CASE("LeakyReLU gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("LeakyReLU", sine_input(Shape{33, 700}));
  }

  TEST_CASE("LeakyReLU survives a checkpoint round trip and refuses a negative slope") {
    check_checkpoint_round_trip("{type: LeakyReLU, alpha: 0.05}", sine_input(Shape{2, 8}));
    CHECK_THROWS_WITH_AS(make_layer_model("{type: LeakyReLU, alpha: -1}", Shape{4}, 1),
                         "test:1:26: model.layers[0].alpha: expected a number >= 0, got -1",
                         ConfigError);
  }
}

}  // namespace runner::test
