#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/support/sources.hpp"
#include "tests/support/tmpdir.hpp"

namespace runner::test {

TEST_SUITE("data source csv") {
  TEST_CASE("CSV features are every other column in file order and text labels become classes") {
    const SourceData data =
        load_source("{type: csv, path: tests/fixtures/data/table.csv, label: species}");
    REQUIRE(data.x.count() == 12);
    CHECK(data.x.sample_shape() == Shape{30});
    CHECK(data.feature_names.front() == "f0");
    CHECK(data.feature_names[3] == "f3");
    for (std::int64_t i = 0; i < 12; ++i) {
      for (std::int64_t j = 0; j < 30; ++j) {
        CHECK(data.x.floats(i)[j] == static_cast<float>(fixture_pixel(i, j / 5, j % 5)));
      }
    }
    CHECK(data.y.lines[2] == 4);
    ClassMap classes;
    const Samples s = to_samples(data, Task::kClassification, classes, true);
    CHECK(classes.names == std::vector<std::string>{"cat", "dog", "owl"});
    for (std::size_t i = 0; i < 12; ++i) {
      CHECK(s.classes[i] == static_cast<std::int32_t>(i % 3));
    }
    CHECK_THROWS_WITH_AS(to_samples(data, Task::kRegression, classes, true),
                         "tests/fixtures/data/table.csv, column 'species': line 2: label 'cat' is "
                         "not a number (a regression loss needs numeric targets)",
                         DataError);
  }

  TEST_CASE("Named feature columns come in the order given") {
    const SourceData data = load_source(
        "{type: csv, path: tests/fixtures/data/regression.csv, label: target, features: [c, a]}");
    CHECK(data.x.sample_shape() == Shape{2});
    CHECK(data.x.floats(1)[0] == static_cast<float>(fixture_pixel(1, 0, 2)));
    CHECK(data.x.floats(1)[1] == static_cast<float>(fixture_pixel(1, 0, 0)));
    ClassMap none;
    const Samples s = to_samples(data, Task::kRegression, none, true);
    CHECK(s.values[1] ==
          static_cast<float>(2.0 * fixture_pixel(1, 0, 0) - fixture_pixel(1, 0, 1) + 0.5));
  }

  TEST_CASE("Ragged rows and missing values and unknown columns and bad delimiters are refused") {
    const std::string d = "tests/fixtures/data/";
    CHECK_THROWS_WITH_AS(
        load_source("{type: csv, path: " + d + "ragged.csv, label: species}"),
        (d + "ragged.csv: line 6: 30 fields, but the header has 31 columns").c_str(), DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: csv, path: " + d + "missing.csv, label: species}"),
                         (d + "missing.csv: line 8, column 'f4': missing value 'NA'; runner does "
                              "not guess: fill or drop it in the file")
                             .c_str(),
                         DataError);
    CHECK_THROWS_WITH_AS(
        load_source("{type: csv, path: " + d + "regression.csv, label: targt}"),
        (d + "regression.csv: no column 'targt' (the header has: a, b, c, d, target); did you "
             "mean 'target'?")
            .c_str(),
        DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: csv, path: " + d +
                                     "regression.csv, label: target, "
                                     "delimiter: ';;'}"),
                         "test:1:81: data.train.delimiter: expected one character (not a quote "
                         "or line break), got ';;'",
                         ConfigError);
  }

  TEST_CASE("A FIFO named as a data file fails at once instead of waiting for a writer") {
    TempDir dir;
    const std::string fifo = (dir / "data.csv").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_WITH_AS(load_source("{type: csv, path: " + fifo + ", label: y}"),
                         (fifo + ": not a regular file").c_str(), DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: npy, x: " + fifo + ", y: " + fifo + "}"),
                         (fifo + ": not a regular file").c_str(), DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: hdf5, path: " + fifo + "}"),
                         (fifo + ": not a regular file").c_str(), DataError);
  }

  TEST_CASE("A byte-order mark and CRLF line ends and quoted fields read as Excel writes them") {
    TempDir dir;
    {
      std::ofstream out(dir / "excel.csv", std::ios::binary);
      out << "\xEF\xBB\xBFsize,\"name, quoted\",kind\r\n1.5,\"a \"\"b\"\"\",x\r\n2,c,y\r\n";
    }
    const SourceData data = load_source("{type: csv, path: " + (dir / "excel.csv").string() +
                                        ", label: kind, features: [size]}");
    CHECK(data.x.count() == 2);
    CHECK(data.x.floats(0)[0] == 1.5F);
    CHECK(data.y.names == std::vector<std::string>{"x", "y"});
    CHECK(data.feature_names == std::vector<std::string>{"size"});
  }
}

}  // namespace runner::test
