#include "framework/nn/layer_registry.hpp"

namespace runner {

LayerRegistry& layer_registry() {
  static LayerRegistry registry("layer type");  // function-local: no init-order fiasco
  return registry;
}

}  // namespace runner
