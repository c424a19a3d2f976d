#include <doctest/doctest.h>

#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("Flatten") {
  TEST_CASE("Flatten turns (h x w x c) into one dimension") {
    CHECK(make_layer_model("{type: Flatten}", Shape{7, 7, 64}, 1).output_shape() == Shape{3136});
    CHECK(make_layer_model("Flatten", Shape{3, 2}, 1).output_shape() == Shape{6});
  }

  TEST_CASE("Flatten keeps NHWC order (channels last as Keras)") {
    Model m = make_layer_model("{type: Flatten}", Shape{2, 2, 3}, 1);
    const Tensor x = sine_input(Shape{1, 2, 2, 3});
    CHECK(bitwise_equal(x.span(), m.forward(x, Pass{}).span()));
  }

  TEST_CASE("Flatten gradients match finite differences") {
    Model m = make_layer_model("{type: Flatten}", Shape{3, 2, 2}, 2);
    CHECK(gradcheck(m, sine_input(Shape{2, 3, 2, 2}), Pass{Mode::kTrain, 0}).max_input_error <
          1e-4);
  }

  TEST_CASE("Flatten gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("{type: Flatten}", sine_input(Shape{33, 4, 4, 3}));
  }

  TEST_CASE("Flatten survives a checkpoint round trip (no weights)") {
    check_checkpoint_round_trip("{type: Flatten}", sine_input(Shape{2, 3, 3, 1}));
  }
}

}  // namespace runner::test
