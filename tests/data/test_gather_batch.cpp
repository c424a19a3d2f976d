#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/preprocessing.hpp"

namespace runner::test {

TEST_SUITE("gather_batch") {
  // gather_batch converts bytes with one vector multiplication or division where that gives
  // each of the 256 values the scale's table gives (v * numerator / denominator in double,
  // rounded to float), else through the table: every scale must give the table's floats. Here
  // 1, 1/256 and 3 multiply, 1/255, 2/3, 1/127.5 and 0.1 divide, 7/9 and 0.3/0.7 take the table.
  TEST_CASE("Bytes become v times numerator over denominator rounded to float under every scale") {
    constexpr std::int64_t kSamples = 3;
    std::vector<std::uint8_t> bytes;
    for (std::int64_t n = 0; n < kSamples; ++n) {
      for (int v = 0; v < 256; ++v) {
        bytes.push_back(static_cast<std::uint8_t>((v + 85 * n) % 256));
      }
    }
    Samples set;
    set.x = FeatureArray::of_bytes(bytes, kSamples, Shape{16, 16, 1});
    set.classes = {0, 1, 2};
    const std::int64_t pick[] = {2, 0, 1};
    for (const std::string scale :
         {"1/255", "1", "1/256", "2/3", "1/127.5", "3", "0.1", "7/9", "0.3/0.7"}) {
      CAPTURE(scale);
      Preprocessing p;
      REQUIRE(parse_scale(scale, p));
      Tensor x;
      Targets y;
      gather_batch(set, pick, p, x, y);
      REQUIRE(x.shape() == Shape{3, 16, 16, 1});
      int wrong = 0;
      for (std::size_t i = 0; i < 3; ++i) {
        for (std::size_t j = 0; j < 256; ++j) {
          const double v = bytes[static_cast<std::size_t>(pick[i]) * 256 + j];
          const auto expected = static_cast<float>(v * p.scale_numerator / p.scale_denominator);
          wrong += x[i * 256 + j] != expected ? 1 : 0;
        }
      }
      CHECK(wrong == 0);
      CHECK(y.classes == std::vector<std::int32_t>{2, 0, 1});
    }
  }
}

}  // namespace runner::test
