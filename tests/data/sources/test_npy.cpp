#include <doctest/doctest.h>

#include "tests/support/sources.hpp"

namespace runner::test {

TEST_SUITE("data source npy") {
  TEST_CASE("npy files load as NumPy saved them: uint8 mapped in place and float64 converted") {
    const SourceData bytes = load_source(
        "{type: npy, x: tests/fixtures/data/images.npy, y: tests/fixtures/data/labels.npy}");
    CHECK(bytes.x.type() == ElementType::kUint8);
    check_fixture_data(bytes);
    const SourceData floats = load_source(
        "{type: npy, x: tests/fixtures/data/images_f64.npy, y: tests/fixtures/data/labels.npy}");
    CHECK(floats.x.type() == ElementType::kFloat32);
    check_fixture_data(floats);
    const SourceData some = load_source(
        "{type: npy, x: tests/fixtures/data/images.npy, y: tests/fixtures/data/labels.npy}", 5);
    CHECK(some.x.count() == 5);
    CHECK(some.y.numbers.size() == 5);
  }

  TEST_CASE("One-hot label rows stay rows of values") {
    const SourceData data = load_source(
        "{type: npy, x: tests/fixtures/data/images.npy, y: tests/fixtures/data/onehot.npy}");
    CHECK(data.y.width == 3);
    ClassMap classes;
    const Samples s = to_samples(data, Task::kClassification, classes, true);
    CHECK(s.value_width == 3);
    CHECK(!s.has_classes());
    CHECK(s.values[3 * 4 + 1] == 1.0F);  // sample 4 is class 1
  }

  TEST_CASE("Fortran order or object arrays or truncation or count mismatches are refused") {
    const std::string d = "tests/fixtures/data/";
    CHECK_THROWS_WITH_AS(
        load_source("{type: npy, x: " + d + "fortran.npy, y: " + d + "labels.npy}"),
        (d + "fortran.npy: the array is in Fortran order; save it in C order (np.save(path, "
             "np.ascontiguousarray(x)))")
            .c_str(),
        DataError);
    CHECK_THROWS_WITH_AS(
        load_source("{type: npy, x: " + d + "objects.npy, y: " + d + "labels.npy}"),
        (d + "objects.npy: an object array (dtype 'O'); reading it would need pickle, which "
             "runner never loads: save a numeric array (np.save(path, np.asarray(x, "
             "dtype=np.float32)))")
            .c_str(),
        DataError);
    CHECK_THROWS_WITH_AS(
        load_source("{type: npy, x: " + d + "truncated.npy, y: " + d + "labels.npy}"),
        (d + "truncated.npy: truncated: shape (12, 6, 5, 1) of |u1 needs 360 bytes of data, the "
             "file has 353")
            .c_str(),
        DataError);
    CHECK_THROWS_WITH_AS(
        load_source("{type: npy, x: " + d + "images.npy, y: " + d + "labels_short.npy}"),
        (d + "labels_short.npy: 10 labels for 12 inputs in " + d + "images.npy").c_str(),
        DataError);
    CHECK_THROWS_WITH_AS(
        load_source("{type: npy, x: " + d + "nothing.npy, y: " + d + "labels.npy}"),
        (d + "nothing.npy: cannot open: No such file or directory").c_str(), DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: npy, x: " + d + "table.csv, y: " + d + "labels.npy}"),
                         (d + "table.csv: not a .npy file (no \\x93NUMPY magic)").c_str(),
                         DataError);
  }
}

}  // namespace runner::test
