#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("RandomZoom") {
  const std::string kZoom = "{type: RandomZoom, height_factor: 0.2}";

  TEST_CASE("RandomZoom is the identity in inference and with a zero factor") {
    const Tensor x = sine_input(Shape{3, 4, 5, 2});
    Model m = make_layer_model(kZoom, Shape{4, 5, 2}, 3);
    CHECK(bitwise_equal(x.span(), m.forward(x, Pass{Mode::kEval, 7}).span()));
    Model none = make_layer_model("{type: RandomZoom, height_factor: 0}", Shape{4, 5, 2}, 3);
    CHECK(bitwise_equal(x.span(), none.forward(x, Pass{Mode::kTrain, 7}).span()));
  }

  TEST_CASE("RandomZoom out by a factor 2 reads every other pixel about the centre") {
    // 5x5 image, zoom 2 (factor 1): output (x, y) reads input (2x - 2, 2y - 2); with a constant
    // fill the centre pixel stays and its neighbours come from two pixels away.
    Model m = make_layer_model(
        "{type: RandomZoom, height_factor: [1, 1], fill_mode: constant, fill_value: 9}",
        Shape{5, 5, 1}, 1);
    const Tensor x = sine_input(Shape{1, 5, 5, 1});
    const Tensor& y = m.forward(x, Pass{Mode::kTrain, 2});
    for (long r = 0; r < 5; ++r) {
      for (long c = 0; c < 5; ++c) {
        const long sr = 2 * r - 2;
        const long sc = 2 * c - 2;
        const bool inside = sr >= 0 && sr < 5 && sc >= 0 && sc < 5;
        CHECK(y[static_cast<std::size_t>(r * 5 + c)] ==
              doctest::Approx(inside ? x[static_cast<std::size_t>(sr * 5 + sc)] : 9.0F));
      }
    }
  }

  TEST_CASE("RandomZoom with only height_factor keeps the aspect ratio") {
    // Zoom x and y equal: a symmetric image stays symmetric under transposition.
    Tensor x(Shape{1, 6, 6, 1});
    for (long r = 0; r < 6; ++r) {
      for (long c = 0; c < 6; ++c) {
        x[static_cast<std::size_t>(r * 6 + c)] =
            static_cast<float>(std::sin(0.3 * (r + 1) * (c + 1)));
      }
    }
    Model m = make_layer_model(kZoom, Shape{6, 6, 1}, 1);
    const Tensor& y = m.forward(x, Pass{Mode::kTrain, 5});
    CHECK_FALSE(bitwise_equal(x.span(), y.span()));
    for (long r = 0; r < 6; ++r) {
      for (long c = 0; c < 6; ++c) {
        CHECK(y[static_cast<std::size_t>(r * 6 + c)] ==
              doctest::Approx(y[static_cast<std::size_t>(c * 6 + r)]));
      }
    }
  }

  TEST_CASE("RandomZoom gradients match finite differences and threads do not matter") {
    const std::string yaml = "{type: RandomZoom, height_factor: [-0.3, 0.2], width_factor: 0.4}";
    Model m = make_layer_model(yaml, Shape{5, 6, 2}, 3);
    const auto result = gradcheck(m, sine_input(Shape{3, 5, 6, 2}), Pass{Mode::kTrain, 4});
    CHECK(result.max_input_error < 2e-3);
    check_thread_independence(yaml, sine_input(Shape{37, 6, 7, 3}));
  }

  TEST_CASE("RandomZoom refuses a zoom factor below -1") {
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: RandomZoom, height_factor: 0.1, width_factor: "
                         "[-1.5, 0]}",
                         Shape{4, 4, 1}, 1),
        "test:1:54: model.layers[0].width_factor: expected a number >= -1, got -1.5", ConfigError);
  }
}

}  // namespace runner::test
