#include "framework/io/json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <regex>

#include "framework/core/yaml_reader.hpp"

namespace runner {

namespace {
std::string quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") {  // quoted in the source: always a string
    return quote(text);
  }
  static const std::regex kNumber(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, kNumber) || text == "true" || text == "false" || text == "null") {
    return text;
  }
  return quote(text);
}
}  // namespace

std::string to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "null";
    case YAML::NodeType::Scalar:
      return scalar(node);
    case YAML::NodeType::Sequence: {
      std::string out = "[";
      for (std::size_t i = 0; i < node.size(); ++i) {
        out += (i > 0 ? ", " : "") + to_json(node[i]);
      }
      return out + "]";
    }
    case YAML::NodeType::Map: {
      std::string out = "{";
      bool first = true;
      for (const auto& kv : node) {
        out += (first ? "" : ", ") + quote(kv.first.Scalar()) + ": " + to_json(kv.second);
        first = false;
      }
      return out + "}";
    }
  }
  return "null";
}

YAML::Node parse_json(const std::string& text, const std::string& where) {
  return load_yaml_string(text, where);
}

}  // namespace runner
