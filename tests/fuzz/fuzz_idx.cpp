// libFuzzer target: the IDX reader on raw and gzip'd bytes, as images and as labels.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "data/readers/idx_reader.hpp"
#include "framework/core/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/runner-fuzz-idx-" + std::to_string(getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  for (const std::size_t rank : {3U, 1U}) {
    try {
      (void)runner::read_idx(path, rank);
      (void)runner::read_idx(path, rank, 2);
    } catch (const runner::DataError&) {
    }
  }
  return 0;
}
