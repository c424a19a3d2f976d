#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("RandomRotation") {
  const std::string kRotate = "{type: RandomRotation, factor: 0.1}";

  TEST_CASE("RandomRotation is the identity in inference") {
    Model m = make_layer_model(kRotate, Shape{4, 5, 2}, 3);
    const Tensor x = sine_input(Shape{3, 4, 5, 2});
    CHECK(bitwise_equal(x.span(), m.forward(x, Pass{Mode::kEval, 7}).span()));
  }

  TEST_CASE("RandomRotation by half a turn turns the image upside down") {
    Model m = make_layer_model("{type: RandomRotation, factor: [0.5, 0.5]}", Shape{4, 5, 2}, 1);
    const Tensor x = sine_input(Shape{1, 4, 5, 2});
    const Tensor& y = m.forward(x, Pass{Mode::kTrain, 3});
    for (long r = 0; r < 4; ++r) {
      for (long c = 0; c < 5; ++c) {
        for (long k = 0; k < 2; ++k) {
          CHECK(y[static_cast<std::size_t>((r * 5 + c) * 2 + k)] ==
                doctest::Approx(x[static_cast<std::size_t>(((3 - r) * 5 + 4 - c) * 2 + k)])
                    .epsilon(1e-5));
        }
      }
    }
  }

  TEST_CASE("RandomRotation by a quarter turn is counter-clockwise on a square image") {
    // Output (x, y) reads input (y, 2 - x): the top row comes from the right column.
    Model m = make_layer_model("{type: RandomRotation, factor: [0.25, 0.25]}", Shape{3, 3, 1}, 1);
    const Tensor x = sine_input(Shape{1, 3, 3, 1});
    const Tensor& y = m.forward(x, Pass{Mode::kTrain, 3});
    for (long r = 0; r < 3; ++r) {
      for (long c = 0; c < 3; ++c) {
        CHECK(y[static_cast<std::size_t>(r * 3 + c)] ==
              doctest::Approx(x[static_cast<std::size_t>(c * 3 + 2 - r)]).scale(1).epsilon(1e-5));
      }
    }
  }

  TEST_CASE("RandomRotation gradients match finite differences and threads do not matter") {
    Model m = make_layer_model(kRotate, Shape{5, 6, 2}, 3);
    const auto result = gradcheck(m, sine_input(Shape{3, 5, 6, 2}), Pass{Mode::kTrain, 4});
    CHECK(result.max_input_error < 2e-3);
    check_thread_independence(
        "{type: RandomRotation, factor: 0.2, fill_mode: nearest, interpolation: nearest}",
        sine_input(Shape{37, 6, 7, 3}));
  }

  TEST_CASE("RandomRotation refuses an unknown fill mode") {
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: RandomRotation, factor: 0.1, fill_mode: mirror}", Shape{4, 4, 1},
                         1),
        "test:1:48: model.layers[0].fill_mode: expected one of reflect, wrap, constant, nearest, "
        "got 'mirror'",
        ConfigError);
  }
}

}  // namespace runner::test
