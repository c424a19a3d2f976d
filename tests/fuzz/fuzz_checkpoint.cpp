// libFuzzer target: the checkpoint loader (HDF5 layout, Keras model_config JSON, weights).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "framework/core/errors.hpp"
#include "framework/io/checkpoint.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/runner-fuzz-checkpoint-" + std::to_string(getpid()) + ".h5";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    (void)runner::load_model_checkpoint(path);
  } catch (const runner::Error&) {
  }
  return 0;
}
