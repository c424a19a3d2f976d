#include <doctest/doctest.h>

#include "tests/layers/reference_outputs.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("MaxPooling2D") {
  TEST_CASE("MaxPooling2D halves the size by default and floors odd sizes") {
    CHECK(make_layer_model("{type: MaxPooling2D}", Shape{28, 28, 32}, 1).output_shape() ==
          Shape{14, 14, 32});
    CHECK(
        make_layer_model("{type: MaxPooling2D, pool_size: 2}", Shape{5, 5, 3}, 1).output_shape() ==
        Shape{2, 2, 3});
    CHECK(make_layer_model("{type: MaxPooling2D, pool_size: 2, padding: same}", Shape{5, 5, 3}, 1)
              .output_shape() == Shape{3, 3, 3});
    CHECK(make_layer_model("{type: MaxPooling2D, pool_size: 3, strides: 1}", Shape{5, 6, 1}, 1)
              .output_shape() == Shape{3, 4, 1});
    CHECK(make_layer_model("{type: MaxPooling2D}", Shape{5, 5, 3}, 1).parameter_count() == 0);
  }

  TEST_CASE("MaxPooling2D forward matches PyTorch") {
    // Numbers: tests/reference/layer_forward.py (torch.nn.functional.max_pool2d; "same" pads
    // bottom/right with -inf as TensorFlow does).
    const Tensor x = sine_input(Shape{2, 5, 5, 3});
    Model valid = make_layer_model("{type: MaxPooling2D, pool_size: 2}", Shape{5, 5, 3}, 2);
    check_close(valid.forward(x, Pass{}), reference::kPoolValid, 0);
    Model same =
        make_layer_model("{type: MaxPooling2D, pool_size: 2, padding: same}", Shape{5, 5, 3}, 2);
    check_close(same.forward(x, Pass{}), reference::kPoolSame, 0);
  }

  TEST_CASE("MaxPooling2D gradients match finite differences") {
    for (const char* yaml : {"{type: MaxPooling2D, pool_size: 2}",
                             "{type: MaxPooling2D, pool_size: 3, strides: 2, padding: same}"}) {
      CAPTURE(yaml);
      Model m = make_layer_model(yaml, Shape{5, 5, 3}, 2);
      // eps below the gap between neighbours of sin(0.37 i), so no window changes its winner.
      const auto result = gradcheck(m, sine_input(Shape{2, 5, 5, 3}), Pass{Mode::kTrain, 0}, 1e-3F);
      CHECK(result.max_input_error < 1e-3);
    }
    // Windows that tile the input exactly take the single-pass backward.
    Model tiled = make_layer_model("{type: MaxPooling2D, pool_size: 2}", Shape{4, 6, 3}, 2);
    const auto result =
        gradcheck(tiled, sine_input(Shape{2, 4, 6, 3}), Pass{Mode::kTrain, 0}, 1e-3F);
    CHECK(result.max_input_error < 1e-3);
  }

  TEST_CASE("MaxPooling2D sends the gradient to the first maximum of a tie") {
    Model m = make_layer_model("{type: MaxPooling2D, pool_size: 2}", Shape{2, 2, 1}, 1);
    Tensor x(Shape{1, 2, 2, 1}, 1.0F);
    const Tensor& y = m.forward(x, Pass{Mode::kTrain, 0});
    Tensor r(y.shape(), 5.0F);
    Tensor grad_x(x.shape());
    m.entry(0).layer->backward(x, y, r, &grad_x);
    CHECK(grad_x[0] == 5.0F);
    CHECK(grad_x[1] == 0.0F);
    CHECK(grad_x[2] == 0.0F);
    CHECK(grad_x[3] == 0.0F);
  }

  TEST_CASE("MaxPooling2D keeps no winners in inference and refuses a backward after it") {
    check_inference_keeps_nothing("{type: MaxPooling2D, pool_size: 2}",
                                  sine_input(Shape{2, 4, 6, 3}));
  }

  TEST_CASE("MaxPooling2D gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("{type: MaxPooling2D, pool_size: 2}", sine_input(Shape{33, 6, 6, 5}));
  }

  TEST_CASE("MaxPooling2D survives a checkpoint round trip (no weights)") {
    check_checkpoint_round_trip("{type: MaxPooling2D}", sine_input(Shape{2, 4, 4, 2}));
  }
}

}  // namespace runner::test
