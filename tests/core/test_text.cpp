#include <doctest/doctest.h>

#include "framework/core/text.hpp"

namespace runner::test {

TEST_SUITE("text") {
  TEST_CASE("snake_case follows Keras' layer naming") {
    CHECK(snake_case("Conv2D") == "conv2d");
    CHECK(snake_case("MaxPooling2D") == "max_pooling2d");
    CHECK(snake_case("Dense") == "dense");
    CHECK(snake_case("BatchNormalization") == "batch_normalization");
    CHECK(snake_case("GlobalAveragePooling2D") == "global_average_pooling2d");
  }

  TEST_CASE("did_you_mean suggests close names only") {
    CHECK(did_you_mean("Conv2d", {"Conv2D", "Dense"}) == "; did you mean 'Conv2D'?");
    CHECK(did_you_mean("Zebra", {"Conv2D", "Dense"}).empty());
  }

  TEST_CASE("parse_number takes text that is a number and nothing else") {
    CHECK(parse_number("0.25") == 0.25);
    CHECK(parse_number("-3") == -3.0);
    CHECK(parse_number("1e-4") == 1e-4);
    CHECK_FALSE(parse_number("").has_value());
    CHECK_FALSE(parse_number("0.25 s").has_value());
    CHECK_FALSE(parse_number("relu").has_value());
    CHECK_FALSE(parse_number("-").has_value());
  }

  TEST_CASE("with_thousands groups digits as Keras prints counts") {
    CHECK(with_thousands(333526) == "333,526");
    CHECK(with_thousands(0) == "0");
    CHECK(with_thousands(1000000) == "1,000,000");
  }
}

}  // namespace runner::test
