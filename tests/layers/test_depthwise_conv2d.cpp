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
  if (params.size() > 1) {
    set_alternating_bias(params[1].span());
  }
  return Tensor(m.forward(x, Pass{}));
}
}  // namespace

TEST_SUITE("DepthwiseConv2D") {
  TEST_CASE(
      "DepthwiseConv2D has Keras' weights and as many outputs per channel as depth_multiplier") {
    Model m = make_layer_model("{type: DepthwiseConv2D, kernel_size: 3, depth_multiplier: 2}",
                               Shape{6, 7, 3}, 1);
    CHECK(m.output_shape() == Shape{4, 5, 6});
    REQUIRE(m.entry(0).slots.size() == 2);
    CHECK(m.entry(0).slots[0].name == "depthwise_kernel");
    CHECK(m.entry(0).slots[0].shape == Shape{3, 3, 3, 2});
    CHECK(m.entry(0).slots[1].shape == Shape{6});
  }

  TEST_CASE("DepthwiseConv2D forward matches PyTorch") {
    const Tensor x = sine_input(Shape{2, 6, 7, 3});
    check_close(reference_forward("{type: DepthwiseConv2D, kernel_size: 3, depth_multiplier: 2, "
                                  "padding: same}",
                                  x),
                reference::kDepthwiseSame);
    check_close(reference_forward("{type: DepthwiseConv2D, kernel_size: [3, 2], strides: 2, "
                                  "activation: relu}",
                                  x),
                reference::kDepthwiseStride2Relu);
    check_close(reference_forward("{type: DepthwiseConv2D, kernel_size: 3, dilation_rate: 2, "
                                  "padding: same}",
                                  x),
                reference::kDepthwiseDilatedSame);
  }

  TEST_CASE("DepthwiseConv2D gradients match finite differences") {
    for (const std::string& yaml :
         {std::string("{type: DepthwiseConv2D, kernel_size: 3, depth_multiplier: 2, padding: "
                      "same, activation: tanh}"),
          std::string("{type: DepthwiseConv2D, kernel_size: [2, 3], strides: 2, use_bias: false}"),
          std::string("{type: DepthwiseConv2D, kernel_size: 2, dilation_rate: 2}"),
          // 3x3 with one filter per channel: the taps in registers, dx gathered
          std::string("{type: DepthwiseConv2D, kernel_size: 3, padding: same}"),
          std::string("{type: DepthwiseConv2D, kernel_size: 3, strides: 2, padding: same, "
                      "activation: tanh}"),
          std::string("{type: DepthwiseConv2D, kernel_size: 3, strides: [2, 1]}"),
          std::string("{type: DepthwiseConv2D, kernel_size: 3, dilation_rate: 2, padding: same, "
                      "use_bias: false}")}) {
      CAPTURE(yaml);
      Model m = make_layer_model(yaml, Shape{5, 6, 3}, 3);
      const auto result = gradcheck(m, sine_input(Shape{3, 5, 6, 3}), Pass{Mode::kTrain, 0});
      CHECK(result.max_param_error < 2e-3);
      CHECK(result.max_input_error < 2e-3);
    }
  }

  TEST_CASE("DepthwiseConv2D is bitwise the same on 1 and 2 threads and round-trips") {
    const std::string yaml =
        "{type: DepthwiseConv2D, kernel_size: 3, depth_multiplier: 3, padding: same, "
        "activation: relu}";
    check_thread_independence(yaml, sine_input(Shape{37, 7, 6, 5}));
    check_checkpoint_round_trip(yaml, sine_input(Shape{2, 7, 6, 5}));
    check_thread_independence("{type: DepthwiseConv2D, kernel_size: 3, padding: same}",
                              sine_input(Shape{37, 7, 6, 11}));
  }

  TEST_CASE("DepthwiseConv2D refuses a window larger than its input and a zero multiplier") {
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: DepthwiseConv2D, kernel_size: 5}", Shape{3, 4, 1}, 1),
        "test:1:1: model.layers[0]: layer 0 'depthwise_conv2d' (DepthwiseConv2D): kernel 5x5 "
        "does not fit input [3, 4, 1] with padding 'valid'",
        ConfigError);
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: DepthwiseConv2D, kernel_size: 3, depth_multiplier: 0}",
                         Shape{5, 5, 1}, 1),
        "test:1:59: model.layers[0].depth_multiplier: expected a positive integer, got 0",
        ConfigError);
  }
}

}  // namespace runner::test
