#include <doctest/doctest.h>
#include <zlib.h>

#include <fstream>

#include "data/dataset.hpp"
#include "data/preprocessing.hpp"
#include "data/readers/idx_reader.hpp"
#include "framework/core/errors.hpp"
#include "tests/support/tmpdir.hpp"

namespace runner::test {

namespace {
std::vector<std::uint8_t> idx_bytes(std::uint8_t dtype, const std::vector<std::uint32_t>& dims,
                                    std::size_t payload) {
  std::vector<std::uint8_t> bytes{0, 0, dtype, static_cast<std::uint8_t>(dims.size())};
  for (auto d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<std::uint8_t>(d >> static_cast<unsigned>(shift)));
    }
  }
  for (std::size_t i = 0; i < payload; ++i) {
    bytes.push_back(static_cast<std::uint8_t>(i % 251));
  }
  return bytes;
}

void write_gz(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  if (!bytes.empty()) {
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  }
  gzclose(f);
}
}  // namespace

TEST_SUITE("idx_reader") {
  TEST_CASE("A good idx3 file reads with its dimensions and bytes") {
    TempDir dir;
    write_gz(dir / "a.gz", idx_bytes(0x08, {3, 4, 5}, 60));
    const IdxArray a = read_idx((dir / "a.gz").string(), 3);
    CHECK(a.dims == std::vector<std::int64_t>{3, 4, 5});
    REQUIRE(a.values.size() == 60);
    CHECK(a.values[59] == 59);
  }

  TEST_CASE("limit keeps the first N items") {
    TempDir dir;
    write_gz(dir / "a.gz", idx_bytes(0x08, {3, 2, 2}, 12));
    const IdxArray a = read_idx((dir / "a.gz").string(), 3, 2);
    CHECK(a.dims[0] == 2);
    CHECK(a.values.size() == 8);
    CHECK(read_idx((dir / "a.gz").string(), 3, 99).dims[0] == 3);
  }

  TEST_CASE("Bad IDX files name the file and the problem") {
    TempDir dir;
    const auto p = (dir / "bad.gz").string();
    SUBCASE("truncated payload") {
      write_gz(p, idx_bytes(0x08, {10, 2, 2}, 39));
      CHECK_THROWS_WITH_AS(read_idx(p, 3),
                           (p + ": truncated: the header declares 10 items (40 bytes) "
                                "but the file holds only 39 bytes of data")
                               .c_str(),
                           DataError);
    }
    SUBCASE("wrong magic") {
      write_gz(p, {0x12, 0x34, 0x08, 0x03});
      CHECK_THROWS_WITH_AS(
          read_idx(p, 3),
          (p + ": not an IDX file: magic number starts with 0x1234, expected 0x0000").c_str(),
          DataError);
    }
    SUBCASE("wrong data type") {
      write_gz(p, idx_bytes(0x0D, {1, 1, 1}, 4));
      CHECK_THROWS_WITH_AS(
          read_idx(p, 3),
          (p + ": unsupported IDX data type 0x0D; only unsigned bytes (0x08) are supported")
              .c_str(),
          DataError);
    }
    SUBCASE("labels where images are expected") {
      write_gz(p, idx_bytes(0x08, {3}, 3));
      CHECK_THROWS_WITH_AS(read_idx(p, 3),
                           (p + ": expected a rank-3 IDX file (images), got rank 1").c_str(),
                           DataError);
    }
    SUBCASE("a header that claims terabytes") {
      write_gz(p, idx_bytes(0x08, {0xFFFFFFFFU, 0xFFFFU, 0xFFFFU}, 16));
      CHECK_THROWS_WITH_AS(
          read_idx(p, 3),
          (p + ": header declares 4294967295 items of 4294836225 bytes (over 4 GiB); the "
               "header is corrupt")
              .c_str(),
          DataError);
    }
    SUBCASE("dimensions whose product overflows 64 bits (found by fuzz_idx)") {
      write_gz(p, idx_bytes(0x08, {9, 0xFFFFFFFFU, 0xFFFFFF10U}, 8));
      CHECK_THROWS_WITH_AS(
          read_idx(p, 3),
          (p + ": header declares items larger than 4 GiB; the header is corrupt").c_str(),
          DataError);
    }
    SUBCASE("more data than declared") {
      write_gz(p, idx_bytes(0x08, {2}, 3));
      CHECK_THROWS_WITH_AS(
          read_idx(p, 1), (p + ": more data than the header declares (2 items of 1 bytes)").c_str(),
          DataError);
    }
    SUBCASE("header cut short") {
      write_gz(p, {0, 0, 8, 3, 0, 0});
      CHECK_THROWS_WITH_AS(
          read_idx(p, 3),
          (p + ": truncated: the file ends inside the header (dimension 0)").c_str(), DataError);
    }
    SUBCASE("corrupt gzip stream") {
      std::vector<char> junk{
          0x1f, static_cast<char>(0x8b), 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7};
      std::ofstream(p, std::ios::binary).write(junk.data(), static_cast<long>(junk.size()));
      CHECK_THROWS_AS(read_idx(p, 3), DataError);
    }
    SUBCASE("missing file") {
      CHECK_THROWS_WITH_AS(
          read_idx((dir / "nope.gz").string(), 3),
          ((dir / "nope.gz").string() + ": cannot open: No such file or directory").c_str(),
          DataError);
    }
  }

  TEST_CASE("A missing default dataset names the Debian package") {
    DataSources sources;
    Diagnostics diag("test");
    const Spec spec(load_yaml_string("{type: fashion_mnist, path: /nonexistent/fashion}", "test"),
                    "data.train", diag, 0, 0);
    sources.train = data_source_registry().create(spec);
    REQUIRE(sources.train != nullptr);
    CHECK_THROWS_WITH_AS(
        load_dataset(sources, Task::kClassification, std::nullopt),
        "/nonexistent/fashion/train-images-idx3-ubyte.gz: file not found; set the path "
        "to the folder holding the IDX files",
        DataError);
  }

  TEST_CASE("Fashion-MNIST loads from the Debian package with limits") {
    DataSources sources;
    Diagnostics diag("test");
    sources.train = data_source_registry().create(
        Spec(load_yaml_string("{type: fashion_mnist}", "test"), "data.train", diag, 0, 0));
    sources.test = data_source_registry().create(Spec(
        load_yaml_string("{type: fashion_mnist, part: test}", "test"), "data.test", diag, 0, 0));
    sources.limit = 100;
    sources.test_limit = 10;
    const Dataset data = load_dataset(sources, Task::kClassification, std::nullopt);
    CHECK(data.train.count() == 100);
    CHECK(data.test.count() == 10);
    CHECK(data.train.sample_shape() == Shape{28, 28, 1});
    CHECK(data.train.classes[0] == 9);  // the first training image is an ankle boot
    CHECK(data.class_names[9] == "Ankle boot");
    Tensor x;
    Targets y;
    const std::int64_t pick[] = {0, 1};
    Preprocessing p;
    parse_scale("1/255", p);
    gather_batch(data.train, pick, p, x, y);
    CHECK(x.shape() == Shape{2, 28, 28, 1});
    float top = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      top = std::max(top, x[i]);
    }
    CHECK(top == 1.0F);
    CHECK(y.classes == std::vector<std::int32_t>{9, 0});
  }
}

}  // namespace runner::test
