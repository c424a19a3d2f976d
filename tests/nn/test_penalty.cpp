// Weight regularizers (Keras' kernel_regularizer, bias_regularizer, ...): reading, Keras' form,
// and the penalty and its gradient against PyTorch autograd.
#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "framework/nn/layer_registry.hpp"
#include "framework/nn/losses/sparse_categorical_crossentropy.hpp"
#include "tests/nn/penalty_reference.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
std::string dump(const YAML::Node& node) {
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}
}  // namespace

TEST_SUITE("penalty") {
  TEST_CASE("A penalized Dense gives PyTorch's loss and gradients") {
    Model m = make_layer_model(
        "{type: Dense, units: 3, activation: softmax, kernel_regularizer: {l1: 0.01, l2: 0.02}, "
        "bias_regularizer: l2}",
        Shape{4}, 2);
    REQUIRE(m.use_logits_output());
    set_cosine_weights(m.entry(0).params[0].span());
    const float bias[3] = {0.1F, -0.2F, 0.3F};
    std::copy(bias, bias + 3, m.entry(0).params[1].data);
    CHECK(m.penalty() == doctest::Approx(reference::kPenalty).epsilon(1e-6));

    const Tensor x = sine_input(Shape{2, 4});
    const std::vector<std::int32_t> labels{0, 2};
    m.zero_gradients();
    const Tensor& out = m.forward(x, Pass{Mode::kTrain, 0});
    Tensor grad(out.shape());
    const double loss = sparse_categorical_crossentropy(out, labels, true, &grad) / 2;
    m.backward(grad);
    m.add_penalty_gradients();
    CHECK(loss + m.penalty() == doctest::Approx(reference::kPenalizedLoss).epsilon(1e-6));
    const auto grads = m.entry(0).grads;
    auto check_grad = [](const TensorView& g, const std::vector<float>& expected) {
      REQUIRE(g.span().size() == expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(g.data[i] == doctest::Approx(expected[i]).epsilon(1e-5));
      }
    };
    check_grad(grads[0], reference::kPenalizedKernelGrad);
    check_grad(grads[1], reference::kPenalizedBiasGrad);
  }

  TEST_CASE("Regularizers read Keras' names and runner's mapping and Keras' serialized form") {
    const Schema& dense = *layer_registry().schema("Dense");
    auto resolved = [&](const std::string& value) {
      const YAML::Node entry =
          load_yaml_string("{type: Dense, units: 2, kernel_regularizer: " + value + "}", "test");
      return dump(build_layers({entry}, Shape{3}, 1, "test")
                      .entry(0)
                      .layer->config()["kernel_regularizer"]);
    };
    CHECK(resolved("l2") == "{l2: 0.01}");
    CHECK(resolved("l1_l2") == "{l1: 0.01, l2: 0.01}");
    CHECK(resolved("{l1: 0.001}") == "{l1: 0.001}");
    CHECK(resolved("{class_name: L1L2, config: {l1: 0.5, l2: 0.25}}") == "{l1: 0.5, l2: 0.25}");
    CHECK(resolved("none") == "~");
    // Keras' layer config names the class by which terms are set.
    const YAML::Node keras = dense.to_keras(load_yaml_string(
        "{type: Dense, units: 2, kernel_regularizer: {l2: 0.5}, bias_regularizer: {l1: 1, l2: 2}}",
        "test"));
    CHECK(dump(keras["kernel_regularizer"]) == "{class_name: L2, config: {l2: 0.5}}");
    CHECK(dump(keras["bias_regularizer"]) == "{class_name: L1L2, config: {l1: 1, l2: 2}}");
  }

  TEST_CASE("Regularizers refuse unknown names and keys and negative factors with their place") {
    auto error_of = [](const std::string& value) {
      try {
        (void)make_layer_model(
            "{type: Conv2D, filters: 1, kernel_size: 1, kernel_regularizer: " + value + "}",
            Shape{2, 2, 1}, 1);
      } catch (const ConfigError& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    CHECK(error_of("l3") ==
          "test:1:64: model.layers[0].kernel_regularizer: expected none, l1, l2, l1_l2 or a "
          "mapping with l1 and/or l2 (numbers >= 0), got 'l3'; did you mean 'l1'?");
    CHECK(error_of("{l2: -1}") ==
          "test:1:69: model.layers[0].kernel_regularizer.l2: expected a number >= 0, got -1");
    CHECK(error_of("{l0: 1}") ==
          "test:1:65: model.layers[0].kernel_regularizer.l0: unknown key; expected l1 or l2");
  }
}

}  // namespace runner::test
