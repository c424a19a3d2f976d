#include "framework/core/yaml_reader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/depthguard.h>

#include <cerrno>
#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "framework/core/file_util.hpp"
#include "framework/core/text.hpp"

namespace runner {

SourceLocation Diagnostics::locate(const YAML::Node& node, const std::string& key_path) const {
  auto inside = [](const std::string& path, const std::string& prefix) {
    return path == prefix || path.starts_with(prefix + ".") || path.starts_with(prefix + "[");
  };
  // A value set with --set reports where the user typed it.
  for (const auto& [path, text] : overrides_) {
    if (inside(key_path, path)) {
      return SourceLocation{"--set " + text, 0, 0};
    }
  }
  if (node.IsDefined() && !node.Mark().is_null()) {
    return SourceLocation{file_, node.Mark().line + 1, node.Mark().column + 1};
  }
  // Mappings that --set created have no position either.
  for (const auto& [path, text] : overrides_) {
    if (inside(path, key_path)) {
      return SourceLocation{"--set " + text, 0, 0};
    }
  }
  return SourceLocation{file_, 0, 0};
}

void Diagnostics::error(const YAML::Node& at, const std::string& key_path,
                        const std::string& message) {
  error(locate(at, key_path), key_path, message);
}

void Diagnostics::error(SourceLocation where, const std::string& key_path,
                        const std::string& message) {
  messages_.push_back(ConfigError(std::move(where), key_path, message).what());
}

void Diagnostics::throw_if_any() const {
  if (messages_.empty()) {
    return;
  }
  throw ConfigErrors(fmt::format("{}", fmt::join(messages_, "\n")));
}

void Diagnostics::mark_override(const std::string& key_path, const std::string& text) {
  overrides_[key_path] = text;
}

Check<std::int64_t> positive() {
  return [](const std::int64_t& v) -> std::optional<std::string> {
    if (v > 0) {
      return std::nullopt;
    }
    return fmt::format("expected a positive integer, got {}", v);
  };
}

Check<std::int64_t> at_least(std::int64_t lo) {
  return [lo](const std::int64_t& v) -> std::optional<std::string> {
    if (v >= lo) {
      return std::nullopt;
    }
    return fmt::format("expected an integer >= {}, got {}", lo, v);
  };
}

Check<std::int64_t> between(std::int64_t lo, std::int64_t hi) {
  return [lo, hi](const std::int64_t& v) -> std::optional<std::string> {
    if (v >= lo && v <= hi) {
      return std::nullopt;
    }
    return fmt::format("expected an integer from {} to {}, got {}", lo, hi, v);
  };
}

Check<std::string> folder_name() {
  return [](const std::string& v) -> std::optional<std::string> {
    static const std::regex kSafe("[A-Za-z0-9][A-Za-z0-9._-]*");
    if (std::regex_match(v, kSafe)) {
      return std::nullopt;
    }
    return fmt::format(
        "expected a name of letters, digits, '.', '_' or '-' (it names the "
        "results folder), got '{}'",
        v);
  };
}

Check<double> in_range(double lo, double hi, bool hi_open) {
  return [=](const double& v) -> std::optional<std::string> {
    if (v >= lo && (hi_open ? v < hi : v <= hi)) {
      return std::nullopt;
    }
    return fmt::format("expected a number in [{}, {}{}, got {}", lo, hi, hi_open ? ")" : "]", v);
  };
}

Check<double> non_negative() {
  return [](const double& v) -> std::optional<std::string> {
    if (v >= 0) {
      return std::nullopt;
    }
    return fmt::format("expected a number >= 0, got {}", v);
  };
}

Check<double> positive_real() {
  return [](const double& v) -> std::optional<std::string> {
    if (v > 0) {
      return std::nullopt;
    }
    return fmt::format("expected a number > 0, got {}", v);
  };
}

Check<std::string> one_of(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](const std::string& v) -> std::optional<std::string> {
    for (const auto& a : allowed) {
      if (a == v) {
        return std::nullopt;
      }
    }
    return fmt::format("expected one of {}, got '{}'{}", fmt::join(allowed, ", "), v,
                       did_you_mean(v, allowed));
  };
}

MapReader::MapReader(const YAML::Node& node, std::string key_path, Diagnostics& diag,
                     bool check_structure)
    : node_(node), path_(std::move(key_path)), diag_(&diag) {
  if (!node_.IsDefined() || node_.IsNull()) {
    node_ = YAML::Node(YAML::NodeType::Map);
    return;
  }
  if (!node_.IsMap()) {
    if (check_structure) {
      diag.error(node, path_, "expected a mapping, got " + describe(node));
    }
    node_ = YAML::Node(YAML::NodeType::Map);
    return;
  }
  if (!check_structure) {
    return;
  }
  // yaml-cpp keeps duplicate keys silently; the second one would win unnoticed.
  std::map<std::string, int> first_line;
  for (const auto& entry : node_) {
    const auto key = entry.first.Scalar();
    const auto [it, inserted] = first_line.emplace(key, entry.first.Mark().line + 1);
    if (!inserted) {
      diag.error(entry.first, path_of(key),
                 fmt::format("duplicate key '{}' (first given on line {})", key, it->second));
    }
  }
}

bool MapReader::has(const std::string& key) const {
  for (const auto& entry : node_) {
    if (entry.first.Scalar() == key) {
      return true;
    }
  }
  return false;
}

YAML::Node MapReader::child(const std::string& key) {
  accept(key);
  for (const auto& entry : node_) {
    if (entry.first.Scalar() == key) {
      return entry.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string MapReader::path_of(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void MapReader::accept(const std::string& key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
    known_.push_back(key);
  }
}

void MapReader::reject_unknown() {
  for (const auto& entry : node_) {
    const auto key = entry.first.Scalar();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) {
      continue;
    }
    std::vector<std::string> sorted = known_;
    std::sort(sorted.begin(), sorted.end());
    diag_->error(entry.first, path_of(key),
                 fmt::format("unknown key '{}'{} (known keys: {})", key, did_you_mean(key, known_),
                             fmt::join(sorted, ", ")));
  }
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar: {
      // Quoted, control characters shown as '?', long values cut: messages stay one line.
      std::string text = node.Scalar().substr(0, 60);
      for (char& c : text) {
        c = static_cast<unsigned char>(c) < 0x20 ? '?' : c;
      }
      return "'" + text + (node.Scalar().size() > 60 ? "...'" : "'");
    }
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

bool parse_value(const YAML::Node& node, std::int64_t& out, std::string& expected) {
  expected = "an integer";
  if (!node.IsScalar()) {
    return false;
  }
  const std::string& text = node.Scalar();
  std::size_t used = 0;
  try {
    const long long value = std::stoll(text, &used, 10);
    if (used != text.size()) {
      return false;
    }
    out = value;
    return true;
  } catch (const std::exception&) {
    if (!text.empty() && text.find_first_not_of("+-0123456789") == std::string::npos) {
      expected = "an integer that fits in 64 bits";
    }
    return false;
  }
}

bool parse_value(const YAML::Node& node, double& out, std::string& expected) {
  expected = "a number";
  if (!node.IsScalar()) {
    return false;
  }
  const std::string& text = node.Scalar();
  std::size_t used = 0;
  try {
    const double value = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(value)) {
      expected = "a finite number";
      return false;
    }
    out = value;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool parse_value(const YAML::Node& node, bool& out, std::string& expected) {
  expected = "true or false";
  if (!node.IsScalar()) {
    return false;
  }
  const std::string& text = node.Scalar();
  if (text == "true" || text == "True" || text == "TRUE") {
    out = true;
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

bool parse_value(const YAML::Node& node, std::string& out, std::string& expected) {
  expected = "a string";
  if (!node.IsScalar()) {
    return false;
  }
  out = node.Scalar();
  return true;
}

bool parse_value(const YAML::Node& node, std::vector<std::int64_t>& out, std::string& expected) {
  expected = "a list of integers";
  if (!node.IsSequence()) {
    return false;
  }
  out.clear();
  for (const auto& item : node) {
    std::int64_t value = 0;
    std::string ignored;
    if (!parse_value(item, value, ignored)) {
      return false;
    }
    out.push_back(value);
  }
  return true;
}

bool parse_value(const YAML::Node& node, std::vector<std::string>& out, std::string& expected) {
  expected = "a list of strings";
  if (!node.IsSequence()) {
    return false;
  }
  out.clear();
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      return false;
    }
    out.push_back(item.Scalar());
  }
  return true;
}

namespace {
YAML::Node load_checked(const std::string& text, const std::string& name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    throw ConfigError(SourceLocation{name, e.mark.line + 1, e.mark.column + 1}, "",
                      "invalid YAML: nested deeper than yaml-cpp's limit of 2000 levels");
  } catch (const YAML::Exception& e) {
    throw ConfigError(SourceLocation{name, e.mark.line + 1, e.mark.column + 1}, "",
                      "invalid YAML: " + e.msg);
  }
}
}  // namespace

YAML::Node yaml_number(double value) {
  return YAML::Node(fmt::format("{}", value));
}

YAML::Node load_yaml_file(const std::string& path) {
  // Opening a FIFO waits for a writer that may never come; a folder reads as nothing.
  if (const auto kind = not_a_regular_file(path)) {
    throw ConfigError(SourceLocation{path, 0, 0}, "", *kind);
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(SourceLocation{path, 0, 0}, "", "cannot open the file: " + os_reason());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_checked(text.str(), path);
}

YAML::Node load_yaml_string(const std::string& text, const std::string& name) {
  return load_checked(text, name);
}

}  // namespace runner
