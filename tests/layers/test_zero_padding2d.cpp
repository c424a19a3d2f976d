#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("ZeroPadding2D") {
  TEST_CASE("ZeroPadding2D takes Keras' three padding forms") {
    CHECK(make_layer_model("ZeroPadding2D", Shape{5, 5, 3}, 1).output_shape() == Shape{7, 7, 3});
    CHECK(make_layer_model("{type: ZeroPadding2D, padding: [1, 2]}", Shape{5, 5, 3}, 1)
              .output_shape() == Shape{7, 9, 3});
    CHECK(make_layer_model("{type: ZeroPadding2D, padding: [[0, 1], [2, 3]]}", Shape{5, 5, 3}, 1)
              .output_shape() == Shape{6, 10, 3});
  }

  TEST_CASE("ZeroPadding2D places each image inside zeros (naive loop)") {
    Model m =
        make_layer_model("{type: ZeroPadding2D, padding: [[0, 1], [2, 3]]}", Shape{3, 4, 2}, 2);
    const Tensor x = sine_input(Shape{2, 3, 4, 2});
    const Tensor& y = m.forward(x, Pass{});
    REQUIRE(y.shape() == Shape{2, 4, 9, 2});
    for (long n = 0; n < 2; ++n) {
      for (long r = 0; r < 4; ++r) {
        for (long c = 0; c < 9; ++c) {
          for (long ch = 0; ch < 2; ++ch) {
            const bool inside = r < 3 && c >= 2 && c < 6;
            const float want =
                inside ? x[static_cast<std::size_t>(((n * 3 + r) * 4 + c - 2) * 2 + ch)] : 0.0F;
            CHECK(y[static_cast<std::size_t>(((n * 4 + r) * 9 + c) * 2 + ch)] == want);
          }
        }
      }
    }
  }

  TEST_CASE("ZeroPadding2D gradients match finite differences") {
    Model m = make_layer_model("{type: ZeroPadding2D, padding: [1, 2]}", Shape{3, 3, 2}, 2);
    CHECK(gradcheck(m, sine_input(Shape{2, 3, 3, 2}), Pass{Mode::kTrain, 0}).max_input_error <
          1e-4);
  }

  TEST_CASE("ZeroPadding2D gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence("ZeroPadding2D", sine_input(Shape{33, 6, 6, 3}));
  }

  TEST_CASE("ZeroPadding2D survives a checkpoint round trip and refuses bad padding") {
    check_checkpoint_round_trip("ZeroPadding2D", sine_input(Shape{2, 3, 3, 1}));
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: ZeroPadding2D, padding: [1, 2, 3]}", Shape{3, 3, 1}, 1),
        "test:1:32: model.layers[0].padding: expected an integer, [rows, columns] or [[top, "
        "bottom], [left, right]], got a list",
        ConfigError);
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: ZeroPadding2D, padding: -1}", Shape{3, 3, 1}, 1),
        "test:1:32: model.layers[0].padding: expected non-negative sizes up to 65536, got [-1, -1, "
        "-1, -1]",
        ConfigError);
  }
}

}  // namespace runner::test
