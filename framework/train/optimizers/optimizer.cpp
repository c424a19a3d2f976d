#include "framework/train/optimizers/optimizer.hpp"

namespace runner {

OptimizerRegistry& optimizer_registry() {
  static OptimizerRegistry registry("optimizer");
  return registry;
}

}  // namespace runner
