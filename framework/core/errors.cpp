#include "framework/core/errors.hpp"

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
  const std::string location = where.str();
  return fmt::format("{}{}{}{}{}", location, location.empty() ? "" : ": ", key_path,
                     key_path.empty() ? "" : ": ", message);
}
}  // namespace

ConfigError::ConfigError(SourceLocation where, std::string key_path, const std::string& message)
    : Error(compose(where, key_path, message)),
      where_(std::move(where)),
      key_path_(std::move(key_path)) {}

}  // namespace runner
