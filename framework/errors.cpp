#include "framework/errors.hpp"

#include <fmt/format.h>

namespace runner {

std::string SourceLocation::str() const {
  if (line <= 0) {
    return file;
  }
  return fmt::format("{}:{}:{}", file, line, column);
}

namespace {
std::string compose(const SourceLocation& where, const std::string& key_path,
                    const std::string& message) {
  std::string out = where.str();
  if (!out.empty()) {
    out += ": ";
  }
  if (!key_path.empty()) {
    out += key_path + ": ";
  }
  return out + message;
}
}  // namespace

ConfigError::ConfigError(SourceLocation where, std::string key_path, const std::string& message)
    : Error(compose(where, key_path, message)),
      where_(std::move(where)),
      key_path_(std::move(key_path)) {}

}  // namespace runner
