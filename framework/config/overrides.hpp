#pragma once
// Command-line overrides: `--set fit.epochs=3`, `--set model.layers.dropout.rate=0.5`,
// `--set model.layers[6].rate=0.5`. The value is parsed as YAML. A list element may be named
// by index or by its layer name (explicit `name:` or the name Keras would give it).
#include <yaml-cpp/yaml.h>

#include <string>

#include "framework/core/yaml_reader.hpp"

namespace runner {

// Splits "a.b=c" and applies it to `root`. Throws ConfigError (exit code 2) when the path
// cannot be reached; records the path in `diag` so later errors point at the --set.
// Returns the normalized key path ("model.layers[6].rate").
std::string apply_override(YAML::Node& root, const std::string& assignment, Diagnostics& diag);

}  // namespace runner
