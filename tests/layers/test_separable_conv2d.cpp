#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/layers/reference/depthwise_conv.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
// The forward of a one-layer model with tests/reference/layers/depthwise_conv.py's weights.
Tensor reference_forward(const std::string& yaml, const Tensor& x) {
  Model m = make_layer_model(yaml, x.shape().without_batch(), x.batch());
  const auto params = m.entry(0).params;
  set_cosine_weights(params[0].span());
  set_cosine_weights(params[1].span());
  set_alternating_bias(params[2].span());
  return Tensor(m.forward(x, Pass{}));
}
}  // namespace

TEST_SUITE("SeparableConv2D") {
  TEST_CASE("SeparableConv2D has Keras' three weights") {
    Model m =
        make_layer_model("{type: SeparableConv2D, filters: 4, kernel_size: 3, depth_multiplier: 2}",
                         Shape{6, 7, 3}, 1);
    CHECK(m.output_shape() == Shape{4, 5, 4});
    const auto& slots = m.entry(0).slots;
    REQUIRE(slots.size() == 3);
    CHECK(slots[0].name == "depthwise_kernel");
    CHECK(slots[0].shape == Shape{3, 3, 3, 2});
    CHECK(slots[1].name == "pointwise_kernel");
    CHECK(slots[1].shape == Shape{1, 1, 6, 4});
    CHECK(slots[2].name == "bias");
    CHECK(slots[2].shape == Shape{4});
  }

  TEST_CASE("SeparableConv2D forward matches PyTorch") {
    const Tensor x = sine_input(Shape{2, 6, 7, 3});
    check_close(reference_forward("{type: SeparableConv2D, filters: 4, kernel_size: 3, "
                                  "depth_multiplier: 2, padding: same}",
                                  x),
                reference::kSeparableSame);
    check_close(reference_forward("{type: SeparableConv2D, filters: 5, kernel_size: 3, strides: "
                                  "2, padding: same, activation: tanh}",
                                  x),
                reference::kSeparableStride2Tanh);
  }

  TEST_CASE("SeparableConv2D gradients match finite differences") {
    for (const std::string& yaml :
         {std::string("{type: SeparableConv2D, filters: 4, kernel_size: 3, depth_multiplier: 2, "
                      "padding: same, activation: sigmoid}"),
          std::string("{type: SeparableConv2D, filters: 2, kernel_size: 2, strides: 2, "
                      "use_bias: false}")}) {
      CAPTURE(yaml);
      Model m = make_layer_model(yaml, Shape{5, 6, 3}, 3);
      const auto result = gradcheck(m, sine_input(Shape{3, 5, 6, 3}), Pass{Mode::kTrain, 0});
      CHECK(result.max_param_error < 2e-3);
      CHECK(result.max_input_error < 2e-3);
    }
  }

  TEST_CASE("SeparableConv2D is bitwise the same on 1 and 2 threads and round-trips") {
    // 37 samples of 12x12 pixels: several 512-row blocks in the pointwise part.
    const std::string yaml =
        "{type: SeparableConv2D, filters: 6, kernel_size: 3, padding: same, activation: relu}";
    check_thread_independence(yaml, sine_input(Shape{37, 12, 12, 5}));
    check_checkpoint_round_trip(yaml, sine_input(Shape{2, 7, 6, 5}));
  }

  TEST_CASE("SeparableConv2D refuses strides together with dilation as Keras does") {
    CHECK_THROWS_WITH_AS(make_layer_model("{type: SeparableConv2D, filters: 2, kernel_size: 3, "
                                          "strides: 2, dilation_rate: 2}",
                                          Shape{9, 9, 1}, 1),
                         doctest::Contains("model.layers[0].dilation_rate: expected 1 when "
                                           "strides > 1 (Keras allows only one of them)"),
                         ConfigError);
  }
}

}  // namespace runner::test
