#include <doctest/doctest.h>

#include "tests/support/sources.hpp"

namespace runner::test {

TEST_SUITE("data source npz") {
  TEST_CASE("npz archives load stored (np.savez) and deflated (np.savez_compressed) members") {
    const SourceData stored = load_source("{type: npz, path: tests/fixtures/data/data.npz}");
    CHECK(stored.x.type() == ElementType::kFloat32);
    check_fixture_data(stored);
    const SourceData deflated = load_source(
        "{type: npz, path: tests/fixtures/data/data_compressed.npz, x: images, y: labels}");
    CHECK(deflated.x.type() == ElementType::kUint8);
    check_fixture_data(deflated);
  }

  TEST_CASE("A missing array names the ones the archive has") {
    CHECK_THROWS_WITH_AS(
        load_source("{type: npz, path: tests/fixtures/data/data_compressed.npz}"),
        "tests/fixtures/data/data_compressed.npz: no array 'x' (the file has: images, labels)",
        DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: npz, path: tests/fixtures/data/images.npy}"),
                         "tests/fixtures/data/images.npy: not an .npz file (no zip directory "
                         "found; truncated?)",
                         DataError);
  }
}

}  // namespace runner::test
