// libFuzzer target: the experiment loader (YAML parsing, strict checks, layer arguments).
// Any input must end in success or a runner::Error, never a crash, hang or other exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/yaml_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)runner::parse_experiment(runner::load_yaml_string(text, "fuzz.yaml"), "fuzz.yaml");
  } catch (const runner::Error&) {
  }
  return 0;
}
