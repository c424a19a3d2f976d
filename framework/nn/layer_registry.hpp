#pragma once
// Layer types by name (YAML `type:`). Each file in layers/ registers its class with
// RUNNER_REGISTER_LAYER.
#include "framework/core/registry.hpp"
#include "framework/nn/layer.hpp"

namespace runner {

using LayerRegistry = Registry<Layer>;
LayerRegistry& layer_registry();

}  // namespace runner

#define RUNNER_REGISTER_LAYER(Class)                             \
  [[maybe_unused]] static const bool runner_registered_##Class = \
      (::runner::layer_registry().add(Class::schema(), &Class::create), true)
