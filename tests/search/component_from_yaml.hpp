#pragma once
// The search tests' components (samplers, pruners) from YAML text, as a sweep file gives them,
// and a distribution of named choices.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "framework/core/yaml_reader.hpp"
#include "framework/search/sampler.hpp"
#include "framework/search/search_space.hpp"

namespace runner::test {

// registry.create of `yaml` read as the value of `key` in `file`; failures throw ConfigError.
template <typename Registry>
auto component_from_yaml(Registry& registry, const std::string& yaml, const std::string& key,
                         const std::string& file) {
  Diagnostics diag(file);
  const YAML::Node node = YAML::Load(yaml);
  const Spec spec(node, key, diag, 0, 0);
  auto component = registry.create(spec);
  diag.throw_if_any();
  REQUIRE(component != nullptr);
  return component;
}

// A sampler as `sweep.method` gives it.
inline std::unique_ptr<Sampler> sampler_from_yaml(const std::string& yaml) {
  return component_from_yaml(sampler_registry(), yaml, "sweep.method", "sweep.yaml");
}

inline Distribution choices(std::vector<std::string> values) {
  Distribution d;
  d.choices = std::move(values);
  return d;
}

}  // namespace runner::test
