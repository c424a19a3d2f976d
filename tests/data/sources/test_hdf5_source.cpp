#include <doctest/doctest.h>

#include "tests/support/sources.hpp"

namespace runner::test {

TEST_SUITE("data source hdf5") {
  TEST_CASE(
      "HDF5 datasets load by path: chunked gzip uint8 and shuffled gzip int32 and plain float32") {
    const SourceData bytes = load_source("{type: hdf5, path: tests/fixtures/data/data.h5}");
    CHECK(bytes.x.type() == ElementType::kUint8);
    check_fixture_data(bytes);
    const SourceData floats =
        load_source("{type: hdf5, path: tests/fixtures/data/data.h5, x: /float/x, y: float/y}");
    CHECK(floats.x.type() == ElementType::kFloat32);
    check_fixture_data(floats, 1.0 / 255);
    const SourceData some = load_source("{type: hdf5, path: tests/fixtures/data/data.h5}", 7);
    CHECK(some.x.count() == 7);
    check_fixture_sample(some.x, 6, 6);
  }

  TEST_CASE("Missing or mismatched or non-numeric or damaged HDF5 data is refused by name") {
    const std::string f = "tests/fixtures/data/data.h5";
    CHECK_THROWS_WITH_AS(load_source("{type: hdf5, path: " + f + ", y: /nope}"),
                         (f + ":/nope: no such dataset").c_str(), DataError);
    CHECK_THROWS_WITH_AS(
        load_source("{type: hdf5, path: " + f + ", y: /short_labels}"),
        (f + ":/short_labels: 11 labels for 12 inputs in " + f + ":/images").c_str(), DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: hdf5, path: " + f + ", y: /names}"),
                         (f + ":/names: not a numeric dataset (HDF5 type class 3); expected "
                              "integers or floats")
                             .c_str(),
                         DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: hdf5, path: " + f + ", x: /float}"),
                         (f + ":/float: not a dataset").c_str(), DataError);
    CHECK_THROWS_AS(load_source("{type: hdf5, path: tests/fixtures/data/truncated.h5}"), DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: hdf5, path: tests/fixtures/data/none.h5}"),
                         "tests/fixtures/data/none.h5: cannot open: No such file or directory",
                         DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: hdf5, path: tests/fixtures/data/table.csv}"),
                         "tests/fixtures/data/table.csv: not an HDF5 file", DataError);
  }
}

}  // namespace runner::test
