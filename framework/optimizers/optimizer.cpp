#include "framework/optimizers/optimizer.hpp"

#include "framework/parallel.hpp"

namespace runner {

OptimizerRegistry& optimizer_registry() {
  static OptimizerRegistry registry("optimizer");
  return registry;
}

void for_each_chunk(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn) {
  constexpr std::size_t kChunk = 16384;
  parallel_for(0, n, kChunk, fn);
}

}  // namespace runner
