#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>

#include "data/partition.hpp"
#include "data/split.hpp"
#include "framework/core/errors.hpp"
#include "tests/data/split_cases.hpp"
#include "tests/data/stratified_split_cases.hpp"

namespace runner::test {

namespace {
// The hash tests/reference/split_cases.py computes: FNV-1a 64 over each index as 8
// little-endian bytes.
std::uint64_t fnv1a64(const std::vector<std::int64_t>& v) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (const std::int64_t x : v) {
    const auto u = static_cast<std::uint64_t>(x);
    for (int byte = 0; byte < 8; ++byte) {
      h = (h ^ ((u >> (8 * byte)) & 0xFFU)) * 0x100000001B3ULL;
    }
  }
  return h;
}

std::vector<std::int64_t> head(const std::vector<std::int64_t>& v, std::size_t n) {
  return {v.begin(), v.begin() + static_cast<long>(std::min(n, v.size()))};
}

void check_against_scikit_learn(const reference::SplitCase& c) {
  CAPTURE(c.n);
  CAPTURE(c.fraction);
  CAPTURE(c.seed);
  const SplitIndices split = train_validation_split(c.n, c.fraction, c.seed);
  REQUIRE(split.train.size() == c.train_size);
  REQUIRE(split.validation.size() == c.validation_size);
  CHECK(head(split.train, c.train_head.size()) == c.train_head);
  CHECK(head(split.validation, c.validation_head.size()) == c.validation_head);
  CHECK(fnv1a64(split.train) == c.train_fnv1a);
  CHECK(fnv1a64(split.validation) == c.validation_fnv1a);
}
}  // namespace

TEST_SUITE("split") {
  TEST_CASE("The seed-42 split selects exactly scikit-learn's 48000 and 12000 images in order") {
    const auto& cases = reference::kSplitCases;
    const auto seed42 = std::find_if(cases.begin(), cases.end(), [](const auto& c) {
      return c.n == 60000 && c.fraction == 0.2 && c.seed == 42;
    });
    REQUIRE(seed42 != cases.end());
    check_against_scikit_learn(*seed42);
  }

  TEST_CASE("The split matches scikit-learn for other sizes and fractions and seeds") {
    // Oracle: tests/reference/split_cases.py (sklearn.model_selection.train_test_split).
    for (const auto& c : reference::kSplitCases) {
      check_against_scikit_learn(c);
    }
  }

  TEST_CASE("The index hash tells lists apart that differ only in order") {
    CHECK(fnv1a64({0, 1, 2}) != fnv1a64({0, 2, 1}));
    CHECK(fnv1a64({}) == 0xCBF29CE484222325ULL);
  }

  TEST_CASE("No validation split keeps every image in file order") {
    const SplitIndices split = train_validation_split(5, 0.0, 42);
    CHECK(split.train == std::vector<std::int64_t>{0, 1, 2, 3, 4});
    CHECK(split.validation.empty());
  }

  TEST_CASE("Stratified splits select scikit-learn's indices in its order") {
    for (const auto& c : reference::kStratifiedCases) {
      CAPTURE(c.labels.size());
      const SplitIndices split = stratified_split(c.labels, c.fraction, c.seed);
      CHECK(split.train == c.train);
      CHECK(split.validation == c.held_out);
    }
  }

  TEST_CASE("test_split then validation_split equal two chained train_test_split calls") {
    const auto& c = reference::kChainedCase;
    Dataset data;
    std::vector<std::uint8_t> pixels(c.labels.size(), 0);
    data.train.x =
        FeatureArray::of_bytes(pixels, static_cast<std::int64_t>(c.labels.size()), Shape{1});
    data.train.classes = c.labels;
    const Partition parts =
        partition(data, SplitSettings{c.validation_split, c.test_split, true}, c.seed);
    CHECK(parts.train.indices == c.train);
    CHECK(parts.validation.indices == c.validation);
    CHECK(parts.test.indices == c.test);
    CHECK(parts.test.set == &data.train);
  }

  TEST_CASE("A stratified split refuses classes too small to split as scikit-learn does") {
    const std::vector<std::int32_t> lonely{0, 0, 1, 1, 2};
    CHECK_THROWS_WITH_AS(stratified_split(lonely, 0.4, 1),
                         "stratify: class 2 has only 1 sample; every class needs at least 2 to "
                         "be split",
                         DataError);
    const std::vector<std::int32_t> many{0, 0, 1, 1, 2, 2, 3, 3};
    CHECK_THROWS_WITH_AS(stratified_split(many, 0.25, 1),
                         "stratify: 2 held-out and 6 kept samples, but there are 4 classes; each "
                         "side needs at least one sample per class",
                         DataError);
  }
}

}  // namespace runner::test
