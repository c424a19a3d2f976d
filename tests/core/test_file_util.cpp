#include <doctest/doctest.h>

#include <fstream>

#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "tests/support/tmpdir.hpp"

namespace runner::test {

TEST_SUITE("file_util") {
  TEST_CASE("write_text_file replaces a file whole") {
    TempDir dir;
    write_text_file(dir / "a.txt", "first");
    write_text_file(dir / "a.txt", "second");
    CHECK(read_text_file(dir / "a.txt") == "second");
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
  }

  TEST_CASE("A writer that fails halfway leaves the old file and no temporary behind") {
    TempDir dir;
    write_text_file(dir / "keep.h5", "good checkpoint");
    CHECK_THROWS_AS(write_atomically(dir / "keep.h5",
                                     [](const std::filesystem::path& tmp) {
                                       std::ofstream(tmp) << "half";
                                       throw Error("disk full");
                                     }),
                    Error);
    CHECK(read_text_file(dir / "keep.h5") == "good checkpoint");
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
  }

  TEST_CASE("Writing into a folder that does not exist names the file") {
    TempDir dir;
    CHECK_THROWS_WITH_AS(
        write_text_file(dir / "no" / "x.txt", "x"),
        ((dir / "no" / "x.txt").string() + ": cannot write: No such file or directory").c_str(),
        Error);
  }
}

}  // namespace runner::test
