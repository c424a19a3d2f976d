#include <doctest/doctest.h>

#include <fstream>

#include "tests/support/sources.hpp"
#include "tests/support/tmpdir.hpp"

namespace runner::test {

TEST_SUITE("data source image_folder") {
  TEST_CASE("Class folders in sorted order and files by name: PNG exact and JPEG close") {
    const SourceData data = load_source(
        "{type: image_folder, path: tests/fixtures/data/folder, image_size: [6, 5], "
        "color_mode: grayscale}");
    CHECK(data.class_names == std::vector<std::string>{"cat", "dog", "owl"});
    REQUIRE(data.x.count() == 12);
    CHECK(data.x.sample_shape() == Shape{6, 5, 1});
    for (std::int64_t k = 0; k < 12; ++k) {
      const std::int64_t label = k / 4;
      const std::int64_t original = 3 * (k % 4) + label;  // cat 00 03 06 09, dog 01 04 ...
      CHECK(data.y.numbers[static_cast<std::size_t>(k)] == static_cast<double>(label));
      if (label != 1) {
        check_fixture_sample(data.x, k, original);
      } else {  // JPEG at quality 100: within a few levels
        for (std::int64_t j = 0; j < 30; ++j) {
          CHECK(std::abs(data.x.bytes(k)[j] - fixture_pixel(original, j / 5, j % 5)) <= 8);
        }
      }
    }
  }

  TEST_CASE("RGB images are resized with TensorFlow's half-pixel bilinear rule") {
    // The 12x10 files are each fixture image doubled by nearest neighbour: halving them
    // bilinearly reads pairs of equal pixels, so the originals come back exactly.
    const SourceData data = load_source("{type: image_folder, path: tests/fixtures/data/rgb}",
                                        std::nullopt, Shape{6, 5, 3});
    REQUIRE(data.x.count() == 12);
    CHECK(data.x.sample_shape() == Shape{6, 5, 3});
    const std::int64_t original = 3 * 1 + 2;  // owl's second file: sample 5
    const std::uint8_t* px = data.x.bytes(9);
    for (std::int64_t j = 0; j < 30; ++j) {
      const int v = fixture_pixel(original, j / 5, j % 5);
      CHECK(px[3 * j] == v);
      CHECK(px[3 * j + 1] == 255 - v);
      CHECK(px[3 * j + 2] == v / 2);
    }
  }

  TEST_CASE("A non-image file or an empty class folder or a missing size is refused by name") {
    CHECK_THROWS_WITH_AS(load_source("{type: image_folder, path: tests/fixtures/data/bad_folder, "
                                     "image_size: 4}"),
                         "tests/fixtures/data/bad_folder/dog/notes.png: not a PNG or JPEG image",
                         DataError);
    TempDir dir;
    std::filesystem::create_directories(dir / "a");
    std::filesystem::create_directories(dir / "b");
    std::filesystem::copy_file("tests/fixtures/data/folder/cat/00.png", dir / "a" / "x.png");
    CHECK_THROWS_WITH_AS(
        load_source("{type: image_folder, path: " + dir.path().string() + ", image_size: 4}"),
        ((dir / "b").string() + ": the class folder is empty").c_str(), DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: image_folder, path: " + dir.path().string() + "}"),
                         (dir.path().string() + ": set image_size on the image_folder source or "
                                                "model.input_shape [height, width, channels]")
                             .c_str(),
                         DataError);
    CHECK_THROWS_WITH_AS(load_source("{type: image_folder, path: tests/fixtures/nothing, "
                                     "image_size: 4}"),
                         "tests/fixtures/nothing: no such folder", DataError);
  }
}

}  // namespace runner::test
