#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

namespace {
// `batch` copies of one sine image.
Tensor copies(long batch, const Shape& image) {
  const Tensor one = sine_input(Shape{1, image[0], image[1], image[2]});
  Tensor x(Shape{batch, image[0], image[1], image[2]});
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = one[i % one.size()];
  }
  return x;
}

bool same_sample(const Tensor& y, long a, long b) {
  const std::size_t size = y.size() / static_cast<std::size_t>(y.batch());
  return std::equal(y.data() + a * static_cast<long>(size),
                    y.data() + (a + 1) * static_cast<long>(size),
                    y.data() + b * static_cast<long>(size));
}
}  // namespace

TEST_SUITE("RandomTranslation") {
  const std::string kShift = "{type: RandomTranslation, height_factor: 0.3, width_factor: 0.3}";

  TEST_CASE("RandomTranslation is the identity in inference") {
    Model m = make_layer_model(kShift, Shape{4, 5, 2}, 3);
    const Tensor x = sine_input(Shape{3, 4, 5, 2});
    CHECK(bitwise_equal(x.span(), m.forward(x, Pass{Mode::kEval, 7}).span()));
  }

  TEST_CASE("RandomTranslation by a quarter of 4 rows moves the image one row down") {
    Model m = make_layer_model(
        "{type: RandomTranslation, height_factor: [0.25, 0.25], width_factor: 0, "
        "fill_mode: constant, fill_value: -3}",
        Shape{4, 3, 1}, 1);
    const Tensor x = sine_input(Shape{1, 4, 3, 1});
    const Tensor& y = m.forward(x, Pass{Mode::kTrain, 1});
    for (std::size_t i = 0; i < 12; ++i) {
      CHECK(y[i] == (i < 3 ? -3.0F : x[i - 3]));
    }
  }

  TEST_CASE("RandomTranslation draws per sample and per step and replays a step exactly") {
    Model m = make_layer_model(kShift, Shape{6, 6, 1}, 8);
    const Tensor x = copies(8, Shape{6, 6, 1});
    const Tensor step1(m.forward(x, Pass{Mode::kTrain, 1}));
    int distinct = 0;
    for (long n = 1; n < 8; ++n) {
      distinct += same_sample(step1, 0, n) ? 0 : 1;
    }
    CHECK(distinct >= 6);
    const Tensor step2(m.forward(x, Pass{Mode::kTrain, 2}));
    CHECK_FALSE(bitwise_equal(step1.span(), step2.span()));
    CHECK(bitwise_equal(step1.span(), m.forward(x, Pass{Mode::kTrain, 1}).span()));
    // A data-parallel shard holding samples 4..7 draws what one process draws for them.
    Model shard = make_layer_model(kShift, Shape{6, 6, 1}, 4);
    const Tensor half = copies(4, Shape{6, 6, 1});
    const Tensor& y = shard.forward(half, Pass{Mode::kTrain, 1, 4});
    CHECK(std::equal(y.data(), y.data() + y.size(), step1.data() + 4 * 36));
  }

  TEST_CASE("RandomTranslation gradients match finite differences and threads do not matter") {
    Model m = make_layer_model(kShift, Shape{5, 6, 2}, 3);
    const auto result = gradcheck(m, sine_input(Shape{3, 5, 6, 2}), Pass{Mode::kTrain, 4});
    CHECK(result.max_input_error < 2e-3);
    check_thread_independence(kShift, sine_input(Shape{37, 6, 7, 3}));
  }

  TEST_CASE("RandomTranslation refuses factors beyond one and reversed bounds") {
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: RandomTranslation, height_factor: 1.5, width_factor: 0}",
                         Shape{4, 4, 1}, 1),
        "test:1:42: model.layers[0].height_factor: expected a number in [-1, 1], got 1.5",
        ConfigError);
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: RandomTranslation, height_factor: [0.3, 0.1], width_factor: 0}",
                         Shape{4, 4, 1}, 1),
        "test:1:42: model.layers[0].height_factor: expected lower <= upper, got [0.3, 0.1]",
        ConfigError);
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: RandomTranslation, height_factor: -0.2, width_factor: 0}",
                         Shape{4, 4, 1}, 1),
        "test:1:42: model.layers[0].height_factor: expected a number >= 0 (for [-f, f]) or "
        "[lower, upper], got -0.2",
        ConfigError);
    CHECK_THROWS_WITH_AS(
        make_layer_model("{type: RandomTranslation, height_factor: 0.1}", Shape{4, 4, 1}, 1),
        doctest::Contains("width_factor"), ConfigError);
  }
}

}  // namespace runner::test
