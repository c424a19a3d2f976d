#include <doctest/doctest.h>

#include <fstream>

#include "data/split.hpp"
#include "tests/data/split_cases.hpp"
#include "tests/support/tmpdir.hpp"

namespace runner::test {

namespace {
std::vector<std::int64_t> read_indices(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "missing reference file " << path.string());
  std::vector<std::int64_t> out;
  std::int64_t v = 0;
  while (in >> v) {
    out.push_back(v);
  }
  return out;
}

long long digest(const std::vector<std::int64_t>& v) {
  long long s = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    s += static_cast<long long>(i) * v[i];
  }
  return s;
}
}  // namespace

TEST_SUITE("split") {
  TEST_CASE("The seed-42 split selects exactly scikit-learn's 48000 and 12000 images in order") {
    const SplitIndices split = train_validation_split(60000, 0.2, 42);
    CHECK(split.train ==
          read_indices(shared_dir() / "reference" / "split-seed42-train-indices.txt"));
    CHECK(split.validation ==
          read_indices(shared_dir() / "reference" / "split-seed42-val-indices.txt"));
  }

  TEST_CASE("The split matches scikit-learn for other sizes and fractions and seeds") {
    // Oracle: tests/reference/split_cases.py (sklearn.model_selection.train_test_split).
    for (const auto& c : reference::kSplitCases) {
      CAPTURE(c.n);
      CAPTURE(c.seed);
      const SplitIndices split = train_validation_split(c.n, c.fraction, c.seed);
      REQUIRE(split.train.size() == c.train_size);
      REQUIRE(split.validation.size() == c.validation_size);
      CHECK(std::vector<std::int64_t>(
                split.train.begin(),
                split.train.begin() + static_cast<long>(c.train_head.size())) == c.train_head);
      CHECK(std::vector<std::int64_t>(
                split.validation.begin(),
                split.validation.begin() + static_cast<long>(c.validation_head.size())) ==
            c.validation_head);
      CHECK(digest(split.train) == c.train_digest);
      CHECK(digest(split.validation) == c.validation_digest);
    }
  }

  TEST_CASE("No validation split keeps every image in file order") {
    const SplitIndices split = train_validation_split(5, 0.0, 42);
    CHECK(split.train == std::vector<std::int64_t>{0, 1, 2, 3, 4});
    CHECK(split.validation.empty());
  }
}

}  // namespace runner::test
