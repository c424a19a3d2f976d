#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("Reshape") {
  TEST_CASE("Reshape gives the target shape and infers one -1") {
    CHECK(make_layer_model("{type: Reshape, target_shape: [28, 28, 1]}", Shape{784}, 1)
              .output_shape() == Shape{28, 28, 1});
    CHECK(make_layer_model("{type: Reshape, target_shape: [-1, 4]}", Shape{2, 3, 4}, 1)
              .output_shape() == Shape{6, 4});
  }

  TEST_CASE("Reshape keeps the values in order forward and backward") {
    Model m = make_layer_model("{type: Reshape, target_shape: [3, 4]}", Shape{12}, 2);
    const Tensor x = sine_input(Shape{2, 12});
    CHECK(bitwise_equal(x.span(), m.forward(x, Pass{}).span()));
    CHECK(gradcheck(m, x, Pass{Mode::kTrain, 0}).max_input_error < 1e-4);
  }

  TEST_CASE("Reshape gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("{type: Reshape, target_shape: [-1]}", sine_input(Shape{33, 4, 5}));
  }

  TEST_CASE("Reshape survives a checkpoint round trip") {
    check_checkpoint_round_trip("{type: Reshape, target_shape: [2, 4]}", sine_input(Shape{2, 8}));
  }

  TEST_CASE("Reshape refuses sizes that do not match and malformed targets") {
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: Reshape, target_shape: [5, 5]}", Shape{24}, 1),
        "test:1:1: model.layers[0]: layer 0 'reshape' (Reshape): cannot reshape [24] (24 values) "
        "into [5, 5]",
        ConfigError);
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: Reshape, target_shape: [-1, -1]}", Shape{24}, 1),
        "test:1:31: model.layers[0].target_shape: expected positive sizes and at most one -1, got "
        "[-1, -1]",
        ConfigError);
    CHECK_THROWS_WITH_AS(make_layer_model("{type: Reshape}", Shape{24}, 1),
                         "test:1:1: model.layers[0]: missing required key 'target_shape'",
                         ConfigError);
  }
}

}  // namespace runner::test
