#pragma once
// Tests that need a file the repository cannot hold report themselves skipped: they print
// kSkipMarker and a one-line reason, and CTest's SKIP_REGULAR_EXPRESSION (CMakeLists.txt) turns
// that into "Skipped" instead of a pass or a failure.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace runner::test {

inline constexpr std::string_view kSkipMarker = "runner-test-skipped: ";

inline void report_skipped(std::string_view reason) {
  std::cout << kSkipMarker << reason << std::endl;
}

// Keras 2.11's own checkpoint of the reference model (a third-party file, kept outside the
// repository): its path comes from RUNNER_KERAS_CHECKPOINT (.ci/run sets it). Unset: nothing, and
// the caller skips. Set to a path that is not there: a failure, since someone asked for it.
inline std::optional<std::filesystem::path> keras_checkpoint() {
  const char* path = std::getenv("RUNNER_KERAS_CHECKPOINT");
  if (path == nullptr || *path == '\0') {
    report_skipped(
        "RUNNER_KERAS_CHECKPOINT is not set (the path of Keras 2.11's "
        "best-cnn-model-keras-2.11.h5)");
    return std::nullopt;
  }
  const std::string value(path);
  REQUIRE_MESSAGE(std::filesystem::is_regular_file(value),
                  "RUNNER_KERAS_CHECKPOINT=" << value << " is not a file");
  return std::filesystem::path(path);
}

}  // namespace runner::test
