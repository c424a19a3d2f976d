#pragma once
// Strict reading of YAML through const nodes (yaml-cpp's non-const operator[] inserts keys).
// Every problem is recorded in Diagnostics with file:line:column and reading goes on, so one
// run reports every mistake in a file; the caller throws once at the end.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/core/errors.hpp"

namespace runner {

// Collects problems found while reading one document.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  [[nodiscard]] const std::string& file() const { return file_; }
  // 1-based location of a node (yaml-cpp marks are 0-based); values set with --set report that.
  [[nodiscard]] SourceLocation locate(const YAML::Node& node, const std::string& key_path) const;
  void error(const YAML::Node& at, const std::string& key_path, const std::string& message);
  void error(SourceLocation where, const std::string& key_path, const std::string& message);
  [[nodiscard]] bool ok() const { return messages_.empty(); }
  [[nodiscard]] const std::vector<std::string>& messages() const { return messages_; }
  // Throws ConfigErrors listing every message (one per line) if there are any.
  void throw_if_any() const;
  // Key paths whose values came from --set, with the text the user typed.
  void mark_override(const std::string& key_path, const std::string& text);

 private:
  std::string file_;
  std::vector<std::string> messages_;
  std::map<std::string, std::string> overrides_;
};

// A value check: returns an error message ("expected ..., got ...") or nothing.
template <typename T>
using Check = std::function<std::optional<std::string>(const T&)>;

Check<std::int64_t> positive();
Check<std::int64_t> at_least(std::int64_t lo);
Check<std::int64_t> between(std::int64_t lo, std::int64_t hi);
// A name that becomes a folder: letters, digits, '.', '_' and '-', not starting with '.' or '-'
// (so never "..", a path or an option).
Check<std::string> folder_name();
Check<double> in_range(double lo, double hi, bool hi_open = false);
Check<double> non_negative();
Check<double> positive_real();
Check<std::string> one_of(std::vector<std::string> allowed);

// Reads one YAML mapping: typed getters, duplicate-key and unknown-key detection.
class MapReader {
 public:
  // Records an error (and reads as an empty map) when `node` is not a mapping.
  // `check_structure` false skips the mapping and duplicate-key checks (already reported).
  MapReader(const YAML::Node& node, std::string key_path, Diagnostics& diag,
            bool check_structure = true);

  [[nodiscard]] bool has(const std::string& key) const;
  // The child node, or an invalid node when missing; marks the key as known.
  [[nodiscard]] YAML::Node child(const std::string& key);
  [[nodiscard]] std::string path_of(const std::string& key) const;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const YAML::Node& node() const { return node_; }
  [[nodiscard]] Diagnostics& diagnostics() const { return *diag_; }
  [[nodiscard]] SourceLocation location() const { return diag_->locate(node_, path_); }
  // Marks keys as read by someone else (e.g. "type" of a layer).
  void accept(const std::string& key);

  // Typed reads: a missing or null key gives `fallback`; a wrong type or failed check is
  // recorded and gives `fallback` too.
  template <typename T>
  T get_or(const std::string& key, T fallback, const Check<T>& check = {});
  template <typename T>
  std::optional<T> get(const std::string& key, const Check<T>& check = {});
  // A missing key is an error reported at this mapping's position.
  template <typename T>
  T require(const std::string& key, T fallback, const Check<T>& check = {});

  // Errors for every key that no getter asked for, with a did-you-mean.
  void reject_unknown();

 private:
  YAML::Node node_;
  std::string path_;
  Diagnostics* diag_;
  std::vector<std::string> known_;
};

// Conversions used by MapReader; each returns false and names what was expected on failure.
bool parse_value(const YAML::Node& node, std::int64_t& out, std::string& expected);
bool parse_value(const YAML::Node& node, double& out, std::string& expected);
bool parse_value(const YAML::Node& node, bool& out, std::string& expected);
bool parse_value(const YAML::Node& node, std::string& out, std::string& expected);
bool parse_value(const YAML::Node& node, std::vector<std::int64_t>& out, std::string& expected);
bool parse_value(const YAML::Node& node, std::vector<std::string>& out, std::string& expected);
// Text of a scalar for messages ("'abc'", "a mapping", "a list").
std::string describe(const YAML::Node& node);

template <typename T>
std::optional<T> MapReader::get(const std::string& key, const Check<T>& check) {
  const YAML::Node value = child(key);
  if (!value.IsDefined() || value.IsNull()) {
    return std::nullopt;
  }
  T out{};
  std::string expected;
  if (!parse_value(value, out, expected)) {
    diag_->error(value, path_of(key), "expected " + expected + ", got " + describe(value));
    return std::nullopt;
  }
  if (check) {
    if (auto problem = check(out)) {
      diag_->error(value, path_of(key), *problem);
      return std::nullopt;
    }
  }
  return out;
}

template <typename T>
T MapReader::get_or(const std::string& key, T fallback, const Check<T>& check) {
  auto value = get<T>(key, check);
  return value ? *value : fallback;
}

template <typename T>
T MapReader::require(const std::string& key, T fallback, const Check<T>& check) {
  if (!has(key)) {
    accept(key);
    diag_->error(node_, path_, "missing required key '" + key + "'");
    return fallback;
  }
  return get_or<T>(key, fallback, check);
}

// A double as its shortest round-trip text ("0.4", not yaml-cpp's "0.40000000000000002").
YAML::Node yaml_number(double value);

// Loads a YAML file; a syntax error becomes a ConfigError at its position.
YAML::Node load_yaml_file(const std::string& path);
YAML::Node load_yaml_string(const std::string& text, const std::string& name);

}  // namespace runner
