#pragma once
// YAML nodes to JSON text (for Keras' model_config/training_config attributes). Scalars that
// read as numbers, booleans or null are written as such; everything else as strings.
#include <yaml-cpp/yaml.h>

#include <string>

namespace runner {

std::string to_json(const YAML::Node& node);
// JSON is YAML flow syntax: yaml-cpp parses it. Throws ConfigError on bad text.
YAML::Node parse_json(const std::string& text, const std::string& where);

}  // namespace runner
