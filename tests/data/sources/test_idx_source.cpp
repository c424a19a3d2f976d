#include <doctest/doctest.h>

#include "tests/support/sources.hpp"

namespace runner::test {

TEST_SUITE("data source idx") {
  TEST_CASE("IDX files of any size and class count load from any folder gzip'd or not") {
    const SourceData data = load_source(
        "{type: idx, images: tests/fixtures/data/images.idx, labels: "
        "tests/fixtures/data/labels.idx}");
    check_fixture_data(data);
    CHECK_THROWS_WITH_AS(
        load_source("{type: idx, images: tests/fixtures/data/labels.idx, labels: "
                    "tests/fixtures/data/labels.idx}"),
        "tests/fixtures/data/labels.idx: expected a rank-3 IDX file (images), got rank 1",
        DataError);
  }
}

}  // namespace runner::test
