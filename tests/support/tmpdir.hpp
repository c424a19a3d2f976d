#pragma once
// A fresh temporary folder per test, removed afterwards.
#include <filesystem>
#include <random>
#include <string>

namespace runner::test {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("runner-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const std::string& name) const {
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path source_dir() {
  return RUNNER_SOURCE_DIR;
}
inline std::filesystem::path fixture(const std::string& name) {
  return source_dir() / "tests" / "fixtures" / name;
}

}  // namespace runner::test
