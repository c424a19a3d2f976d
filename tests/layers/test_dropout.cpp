#include <doctest/doctest.h>

#include <string>

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

  TEST_CASE("noise_shape shares one mask value along its axes of size 1") {
    // [null, 1, 1, 3]: each sample drops whole channels of a 4x5x3 image.
    Model channels = make_layer_model("{type: Dropout, rate: 0.5, noise_shape: [null, 1, 1, 3]}",
                                      Shape{4, 5, 3}, 8);
    const Tensor x(Shape{8, 4, 5, 3}, 1.0F);
    const Tensor& y = channels.forward(x, Pass{Mode::kTrain, 3});
    std::size_t dropped = 0;
    for (std::size_t n = 0; n < 8; ++n) {
      for (std::size_t c = 0; c < 3; ++c) {
        const float first = y[n * 60 + c];
        dropped += first == 0.0F ? 1 : 0;
        for (std::size_t pixel = 0; pixel < 20; ++pixel) {
          CHECK(y[n * 60 + pixel * 3 + c] == first);
        }
      }
    }
    CHECK(dropped > 0);  // 24 channels at rate 0.5: some dropped, some kept
    CHECK(dropped < 24);
    // [1, null]: every sample of the batch gets the same mask.
    Model batch =
        make_layer_model("{type: Dropout, rate: 0.5, noise_shape: [1, null]}", Shape{64}, 3);
    const Tensor& same = batch.forward(Tensor(Shape{3, 64}, 1.0F), Pass{Mode::kTrain, 3});
    CHECK(bitwise_equal(same.span().subspan(0, 64), same.span().subspan(64, 64)));
    CHECK(bitwise_equal(same.span().subspan(0, 64), same.span().subspan(128, 64)));
    // The input's own shape is no noise_shape at all: the same masks, bit for bit.
    Model full =
        make_layer_model("{type: Dropout, rate: 0.4, noise_shape: [null, 64]}", Shape{64}, 2);
    Model plain = make_layer_model(kDropout, Shape{64}, 2);
    const Tensor ones(Shape{2, 64}, 1.0F);
    const Tensor with_shape = full.forward(ones, Pass{Mode::kTrain, 5});
    CHECK(bitwise_equal(with_shape.span(), plain.forward(ones, Pass{Mode::kTrain, 5}).span()));
  }

  TEST_CASE("noise_shape gradients match finite differences") {
    Model m =
        make_layer_model("{type: Dropout, rate: 0.3, noise_shape: [null, 1, 4]}", Shape{5, 4}, 3);
    const auto result = gradcheck(m, sine_input(Shape{3, 5, 4}), Pass{Mode::kTrain, 9});
    CHECK(result.max_input_error < 1e-4);
  }

  TEST_CASE("A noise_shape that does not fit the input is refused with the reason") {
    const auto message = [](const char* yaml, const Shape& input) {
      try {
        (void)make_layer_model(yaml, input, 1);
      } catch (const ConfigError& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    CHECK(message("{type: Dropout, rate: 0.5, noise_shape: [null, 2, 3]}", Shape{4, 3})
              .find("noise_shape axis 1 is 2; it must be 1, null or the input's 4") !=
          std::string::npos);
    CHECK(message("{type: Dropout, rate: 0.5, noise_shape: [null, 3]}", Shape{4, 3})
              .find("noise_shape has 2 axes") != std::string::npos);
    CHECK(message("{type: Dropout, rate: 0.5, noise_shape: 3}", Shape{4})
              .find("noise_shape: expected a list of the input's axes") != std::string::npos);
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
