#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/yaml_reader.hpp"
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
// Forward (training) and backward through a model of `layers`, every weight set to
// set_cosine_weights' values, with layer fusion on or off: the output, then every gradient.
struct ModelPass {
  std::vector<float> output;
  std::vector<float> grads;
};
ModelPass model_pass(const std::vector<std::string>& layers, const Tensor& x, bool fusion) {
  std::vector<YAML::Node> nodes;
  for (const std::string& yaml : layers) {
    nodes.push_back(load_yaml_string(yaml, "test"));
  }
  Model m = build_layers(nodes, x.shape().without_batch(), 42, "test");
  m.prepare(x.batch());
  m.set_fusion(fusion);
  for (std::size_t i = 0; i < m.size(); ++i) {
    for (auto& param : m.entry(i).params) {
      set_cosine_weights(param.span());
    }
  }
  const Tensor& y = m.forward(x, Pass{Mode::kTrain, 0});
  Tensor r(y.shape());
  for (std::size_t i = 0; i < r.size(); ++i) {
    r[i] = static_cast<float>(std::cos(0.11 * static_cast<double>(i)));
  }
  ModelPass out{std::vector<float>(y.data(), y.data() + y.size()), {}};
  m.zero_gradients();
  m.backward(r);
  out.grads.assign(m.gradients().begin(), m.gradients().end());
  return out;
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

  // Dense and Conv2D take elu and selu as their own activation (Keras' activation='elu'), in
  // their output passes, with the derivative from the output alone: the bits of the same layer,
  // linear, before an Activation layer, in the output and in every gradient (the layer in front
  // gets the input gradient; the bias gradient too, which Winograd sums inside its
  // output-gradient transform on both paths). Conv2D on 8 channels runs as Winograd, on 2 in
  // place.
  TEST_CASE("A layer's own elu or selu gives the bits of an Activation layer after it") {
    const std::string conv_small = "{type: Conv2D, filters: 3, kernel_size: 3, padding: same";
    const std::string conv_wide = "{type: Conv2D, filters: 8, kernel_size: 3, padding: same";
    struct Case {
      std::string front, layer;
      Tensor x;
    };
    const Case cases[] = {
        // (Units 5 and 9: a third of the outputs below 0 with these weights.)
        {"{type: Dense, units: 5}",
         "{type: Dense, units: 9, activation: ", off_kink_input(Shape{5, 7})},
        {conv_small + "}", conv_small + ", activation: ", off_kink_input(Shape{2, 5, 6, 2})},
        {conv_wide + "}", conv_wide + ", activation: ", off_kink_input(Shape{2, 6, 7, 8})}};
    for (const Case& c : cases) {
      for (const std::string fn : {"elu", "selu"}) {
        CAPTURE(c.layer);
        CAPTURE(fn);
        const ModelPass own = model_pass({c.front, c.layer + fn + "}"}, c.x, true);
        // Fusion off: the layer would otherwise take the Activation over (fuse_next).
        const ModelPass apart =
            model_pass({c.front, c.layer + "linear}", "{type: Activation, activation: " + fn + "}"},
                       c.x, false);
        CHECK(bitwise_equal(own.output, apart.output));
        CHECK(bitwise_equal(own.grads, apart.grads));
        CHECK(std::any_of(own.output.begin(), own.output.end(), [](float v) { return v < 0; }));
      }
    }
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
