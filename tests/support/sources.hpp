#pragma once
// Data-source tests: a source made from a YAML entry, and the fixture set every good file in
// tests/fixtures/data/ holds (tests/reference/data_fixtures.py): 12 samples of 6x5x1,
// pixel (i, r, c) = (17 i + 3 r + 5 c) mod 256, label i mod 3 (cat, dog, owl).
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "data/dataset.hpp"
#include "data/source.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/yaml_reader.hpp"

namespace runner::test {

inline std::unique_ptr<DataSource> make_source(const std::string& yaml) {
  Diagnostics diag("test");
  auto source =
      data_source_registry().create(Spec(load_yaml_string(yaml, "test"), "data.train", diag, 0, 0));
  diag.throw_if_any();
  return source;
}

inline SourceData load_source(const std::string& yaml, std::optional<std::int64_t> limit = {},
                              std::optional<Shape> input = {}) {
  return make_source(yaml)->load(LoadContext{limit, std::move(input)});
}

inline int fixture_pixel(std::int64_t i, std::int64_t r, std::int64_t c) {
  return static_cast<int>((17 * i + 3 * r + 5 * c) % 256);
}

// Checks sample k of `x` is fixture sample `i` (as bytes or floats times `scale`).
inline void check_fixture_sample(const FeatureArray& x, std::int64_t k, std::int64_t i,
                                 double scale = 1.0) {
  for (std::int64_t r = 0; r < 6; ++r) {
    for (std::int64_t c = 0; c < 5; ++c) {
      const auto j = static_cast<std::size_t>(r * 5 + c);
      const double v = x.type() == ElementType::kUint8 ? x.bytes(k)[j] : x.floats(k)[j];
      CHECK(v == doctest::Approx(fixture_pixel(i, r, c) * scale).epsilon(1e-6));
    }
  }
}

inline void check_fixture_data(const SourceData& data, double scale = 1.0) {
  REQUIRE(data.x.count() == 12);
  CHECK(data.x.sample_shape() == Shape{6, 5, 1});
  for (std::int64_t i = 0; i < 12; ++i) {
    check_fixture_sample(data.x, i, i, scale);
    CHECK(data.y.numbers[static_cast<std::size_t>(i)] == static_cast<double>(i % 3));
  }
}

}  // namespace runner::test
