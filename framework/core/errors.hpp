#pragma once
// Error types. Messages read "<where>: <what was expected>, got <what>[; hint]".
// main() prints what() after "error: "; nothing else reaches the user's stderr.
#include <stdexcept>
#include <string>

namespace runner {

struct SourceLocation {
  std::string file;
  int line = 0;  // 1-based; 0 means "no position known"
  int column = 0;
  [[nodiscard]] std::string str() const;
};

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad experiment file, --set override or CLI usage: exit code 2.
class ConfigError : public Error {
 public:
  ConfigError(SourceLocation where, std::string key_path, const std::string& message);
  explicit ConfigError(const std::string& message) : Error(message) {}
  [[nodiscard]] const SourceLocation& where() const noexcept { return where_; }
  [[nodiscard]] const std::string& key_path() const noexcept { return key_path_; }

 private:
  SourceLocation where_;
  std::string key_path_;
};

// Several ConfigErrors found in one pass; what() lists them one per line.
class ConfigErrors : public ConfigError {
 public:
  explicit ConfigErrors(const std::string& joined) : ConfigError(joined) {}
};

class ShapeError : public Error {
 public:
  explicit ShapeError(const std::string& message, long layer_index = -1)
      : Error(message), layer_index_(layer_index) {}
  // Position of the offending layer in the model, or -1.
  [[nodiscard]] long layer_index() const noexcept { return layer_index_; }

 private:
  long layer_index_;
};

class DataError : public Error {
 public:
  using Error::Error;
};

class CheckpointError : public Error {
 public:
  using Error::Error;
};

}  // namespace runner
