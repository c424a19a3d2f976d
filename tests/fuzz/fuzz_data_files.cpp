// libFuzzer target: the readers of the data sources on hostile bytes. The first byte picks the
// reader (0: .npy in memory, 1: .npz, 2: CSV through the csv source, 3: PNG/JPEG decoding and
// resizing, 4: .npy through predict's new-input path); the rest is the file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>

#include "data/new_inputs.hpp"
#include "data/readers/image_decode.hpp"
#include "data/readers/npy_reader.hpp"
#include "data/source.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/yaml_reader.hpp"

namespace {
std::string write_file(const std::uint8_t* data, std::size_t size, const char* extension) {
  const std::string path =
      "/tmp/runner-fuzz-data-" + std::to_string(getpid()) + "." + extension;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path;
}

void read_csv(const std::string& path) {
  runner::Diagnostics diag("fuzz");
  const auto source = runner::data_source_registry().create(runner::Spec(
      runner::load_yaml_string("{type: csv, label: y, path: " + path + "}", "fuzz"), "data.train",
      diag, 0, 0));
  (void)source->load(runner::LoadContext{});
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::uint8_t* body = data + 1;
  const std::size_t n = size - 1;
  try {
    switch (data[0] % 5) {
      case 0: {
        const auto copy = std::make_shared<std::string>(reinterpret_cast<const char*>(body), n);
        const runner::NpyArray a = runner::parse_npy(
            copy, reinterpret_cast<const std::uint8_t*>(copy->data()), n, "fuzz.npy");
        (void)runner::npy_source_data(a, a, 2);
        break;
      }
      case 1:
        (void)runner::read_npz_member(write_file(body, n, "npz"), "x");
        break;
      case 2:
        read_csv(write_file(body, n, "csv"));
        break;
      case 3: {
        const runner::Image image = runner::decode_image(write_file(body, n, "png"), 3);
        std::vector<std::uint8_t> out(7 * 5 * 3);
        runner::resize_bilinear(image, 7, 5, out.data());
        break;
      }
      default:
        (void)runner::read_new_inputs(write_file(body, n, "npy"), runner::Shape{4, 3, 1}, {});
        break;
    }
  } catch (const runner::DataError&) {
  } catch (const runner::ConfigError&) {
  }
  return 0;
}
