#include "framework/config/overrides.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cctype>
#include <map>
#include <set>

#include "framework/core/errors.hpp"
#include "framework/core/text.hpp"

namespace runner {

namespace {
[[noreturn]] void fail(const std::string& assignment, const std::string& what) {
  throw ConfigError(SourceLocation{"--set " + assignment, 0, 0}, "", what);
}

std::vector<std::string> split_path(const std::string& path, const std::string& assignment) {
  std::vector<std::string> parts;
  std::string current;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '.') {
      parts.push_back(current);
      current.clear();
    } else if (c == '[') {
      const auto close = path.find(']', i);
      if (close == std::string::npos) {
        fail(assignment, "unclosed '[' in the key path");
      }
      if (!current.empty()) {
        parts.push_back(current);
      }
      current = path.substr(i, close - i + 1);
      i = close;
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  for (const auto& p : parts) {
    if (p.empty()) {
      fail(assignment, "empty segment in the key path");
    }
  }
  return parts;
}

// Names of a list's elements: explicit `name:` or Keras' automatic layer name.
std::vector<std::string> element_names(const YAML::Node& seq) {
  std::vector<std::string> names;
  std::map<std::string, int> counters;
  for (const auto& item : seq) {
    std::string name;
    if (item.IsMap() && item["name"] && item["name"].IsScalar()) {
      name = item["name"].Scalar();
    } else if (item.IsMap() && item["type"] && item["type"].IsScalar()) {
      const std::string base = snake_case(item["type"].Scalar());
      const int n = counters[base]++;
      name = n == 0 ? base : fmt::format("{}_{}", base, n);
    }
    names.push_back(name);
  }
  return names;
}
// A bare component name (`adam`, `flatten`, `EarlyStopping`): a plain scalar word, not a
// number, a boolean or a quoted string.
bool is_component_shorthand(const YAML::Node& node) {
  if (!node.IsScalar() || node.Tag() == "!" || node.Scalar().empty()) {
    return false;
  }
  const std::string& text = node.Scalar();
  if (!(std::isalpha(static_cast<unsigned char>(text.front())) != 0 || text.front() == '_')) {
    return false;
  }
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') {
      return false;
    }
  }
  static const std::set<std::string> kWords{
      "true", "false", "yes",  "no",    "on",  "off", "null", "True", "False",
      "Null", "NULL",  "TRUE", "FALSE", "Yes", "No",  "On",   "Off",  "YES",
      "NO",   "ON",    "OFF",  "y",     "n",   "Y",   "N"};
  return kWords.count(text) == 0;
}
}  // namespace

std::string apply_override(YAML::Node& root, const std::string& assignment, Diagnostics& diag) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    fail(assignment, "expected KEY=VALUE, e.g. --set fit.epochs=3");
  }
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(assignment, "the value is not valid YAML: " + e.msg);
  }
  const auto parts = split_path(path, assignment);
  YAML::Node node = root;
  std::string normalized;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const bool last = i + 1 == parts.size();
    if (node.IsSequence()) {
      std::size_t index = node.size();
      if (part.front() == '[') {
        try {
          index = std::stoul(part.substr(1, part.size() - 2));
        } catch (const std::exception&) {
          fail(assignment, fmt::format("'{}' is not a list index", part));
        }
      } else {
        const auto names = element_names(node);
        for (std::size_t k = 0; k < names.size(); ++k) {
          if (names[k] == part) {
            index = k;
          }
        }
        if (index == node.size()) {
          fail(assignment, fmt::format("'{}' has no element named '{}' (names: {}){}", normalized,
                                       part, fmt::join(names, ", "), did_you_mean(part, names)));
        }
      }
      if (index >= node.size()) {
        fail(assignment, fmt::format("index {} is out of range: '{}' has {} elements", index,
                                     normalized, node.size()));
      }
      normalized += fmt::format("[{}]", index);
      if (last) {
        node[index] = value;
      } else {
        node.reset(node[index]);
      }
      continue;
    }
    if (part.front() == '[') {
      fail(assignment, fmt::format("'{}' is not a list", normalized));
    }
    // `optimizer: adam` is shorthand for `{type: adam}`: a key inside it (learning_rate) turns
    // the shorthand into its long form, so every documented parameter can be set.
    if (i > 0 && is_component_shorthand(node)) {
      YAML::Node expanded(YAML::NodeType::Map);
      expanded["type"] = node.Scalar();
      node = expanded;  // assigning through the handle changes the tree
    }
    if (!node.IsMap() && !(node.IsNull() && i > 0)) {
      fail(assignment, fmt::format("'{}' is not a mapping, cannot set '{}' inside it",
                                   normalized.empty() ? "the file" : normalized, part));
    }
    normalized += normalized.empty() ? part : "." + part;
    if (last) {
      node[part] = value;
    } else {
      YAML::Node next = node[part];
      if (!next.IsDefined() || next.IsNull()) {
        node[part] = YAML::Node(YAML::NodeType::Map);
      }
      YAML::Node child = node[part];
      node.reset(child);
    }
  }
  diag.mark_override(normalized, assignment);
  return normalized;
}

}  // namespace runner
