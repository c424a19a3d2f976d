#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/layers/reference/pooling.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("GlobalAveragePooling2D") {
  TEST_CASE("GlobalAveragePooling2D gives one value per channel (kept as 1x1 with keepdims)") {
    CHECK(make_layer_model("GlobalAveragePooling2D", Shape{7, 7, 64}, 1).output_shape() ==
          Shape{64});
    CHECK(make_layer_model("{type: GlobalAveragePooling2D, keepdims: true}", Shape{7, 5, 3}, 1)
              .output_shape() == Shape{1, 1, 3});
  }

  TEST_CASE("GlobalAveragePooling2D forward matches PyTorch") {
    // Numbers: tests/reference/layers/pooling.py.
    Model m = make_layer_model("GlobalAveragePooling2D", Shape{5, 5, 3}, 2);
    check_close(m.forward(sine_input(Shape{2, 5, 5, 3}), Pass{}), reference::kGlobalAvg, 1e-6F);
  }

  TEST_CASE("GlobalAveragePooling2D gradients match finite differences") {
    Model m = make_layer_model("GlobalAveragePooling2D", Shape{4, 3, 2}, 2);
    CHECK(
        gradcheck(m, sine_input(Shape{2, 4, 3, 2}), Pass{Mode::kTrain, 0}, 1e-3F).max_input_error <
        1e-3);
  }

  TEST_CASE("GlobalAveragePooling2D gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("GlobalAveragePooling2D", sine_input(Shape{33, 6, 6, 16}));
  }

  TEST_CASE("GlobalAveragePooling2D survives a checkpoint round trip and needs image input") {
    check_checkpoint_round_trip("GlobalAveragePooling2D", sine_input(Shape{2, 3, 3, 2}));
    CHECK_THROWS_AS(make_layer_model("GlobalAveragePooling2D", Shape{10}, 1), ConfigError);
  }
}

}  // namespace runner::test
