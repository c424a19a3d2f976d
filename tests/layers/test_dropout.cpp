#include <doctest/doctest.h>

#include "framework/core/errors.hpp"
#include "tests/support/layer_checks.hpp"

namespace runner::test {

TEST_SUITE("Dropout") {
  const std::string kDropout = "{type: Dropout, rate: 0.4}";

  TEST_CASE("Dropout keeps its input shape") {
    CHECK(make_layer_model(kDropout, Shape{100}, 1).output_shape() == Shape{100});
  }

  TEST_CASE("Dropout is the identity in eval mode") {
    Model m = make_layer_model(kDropout, Shape{50}, 2);
    const Tensor x = sine_input(Shape{2, 50});
    const Tensor& y = m.forward(x, Pass{Mode::kEval, 0});
    CHECK(bitwise_equal(x.span(), y.span()));
  }

  TEST_CASE("Dropout zeroes about `rate` of the units and scales the rest by 1/(1-rate)") {
    Model m = make_layer_model(kDropout, Shape{10000}, 4);
    const Tensor x(Shape{4, 10000}, 1.0F);
    const Tensor& y = m.forward(x, Pass{Mode::kTrain, 11});
    std::size_t zeros = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      if (y[i] == 0.0F) {
        ++zeros;
      } else {
        CHECK(y[i] == doctest::Approx(1.0 / 0.6));
      }
    }
    CHECK(static_cast<double>(zeros) / static_cast<double>(y.size()) ==
          doctest::Approx(0.4).epsilon(0.03));
  }

  TEST_CASE("Dropout masks depend on the step and the seed but not on the call") {
    const Tensor x(Shape{2, 64}, 1.0F);
    Model a = make_layer_model(kDropout, Shape{64}, 2);
    Model b = make_layer_model(kDropout, Shape{64}, 2);
    const Tensor step5 = a.forward(x, Pass{Mode::kTrain, 5});
    (void)a.forward(x, Pass{Mode::kTrain, 6});
    CHECK(bitwise_equal(step5.span(), b.forward(x, Pass{Mode::kTrain, 5}).span()));
    CHECK_FALSE(bitwise_equal(step5.span(), b.forward(x, Pass{Mode::kTrain, 6}).span()));
    Model c = make_layer_model(kDropout, Shape{64}, 2, /*seed=*/43);
    CHECK_FALSE(bitwise_equal(step5.span(), c.forward(x, Pass{Mode::kTrain, 5}).span()));
  }

  TEST_CASE("A shard of the batch draws the same mask as that part of the whole batch") {
    const Tensor whole_x(Shape{6, 64}, 1.0F);
    const Tensor shard_x(Shape{2, 64}, 1.0F);
    Model whole = make_layer_model(kDropout, Shape{64}, 6);
    Model shard = make_layer_model(kDropout, Shape{64}, 6);
    const Tensor all = whole.forward(whole_x, Pass{Mode::kTrain, 7});
    const Tensor part = shard.forward(shard_x, Pass{Mode::kTrain, 7, /*sample_offset=*/3});
    CHECK(bitwise_equal(part.span(), all.span().subspan(3 * 64, 2 * 64)));
    CHECK_FALSE(bitwise_equal(part.span(), all.span().subspan(0, 2 * 64)));
  }

  TEST_CASE("Dropout gradients match finite differences") {
    Model m = make_layer_model(kDropout, Shape{30}, 3);
    const auto result = gradcheck(m, sine_input(Shape{3, 30}), Pass{Mode::kTrain, 9});
    CHECK(result.max_input_error < 1e-4);
  }

  TEST_CASE("Dropout gives bitwise-equal results on 1 and 2 threads") {
    check_thread_independence(kDropout, sine_input(Shape{33, 1000}));
  }

  TEST_CASE("Dropout survives a checkpoint round trip (no weights)") {
    check_checkpoint_round_trip(kDropout, sine_input(Shape{2, 8}));
  }

  TEST_CASE("Dropout rejects a rate outside 0 to 1") {
    CHECK_THROWS_WITH_AS(make_layer_model("{type: Dropout, rate: 1}", Shape{4}, 1),
                         "test:1:23: model.layers[0].rate: expected a number in [0, 1), got 1",
                         ConfigError);
    CHECK_THROWS_WITH_AS(make_layer_model("{type: Dropout}", Shape{4}, 1),
                         "test:1:1: model.layers[0]: missing required key 'rate'", ConfigError);
  }
}

}  // namespace runner::test
