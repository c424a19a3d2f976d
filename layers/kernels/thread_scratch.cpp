#include "layers/kernels/thread_scratch.hpp"

#include <vector>

namespace runner::kernels {

float* thread_scratch(ScratchSlot slot, std::size_t floats) {
  thread_local std::vector<float> buffers[2];
  std::vector<float>& buffer = buffers[slot == ScratchSlot::kFirst ? 0 : 1];
  if (buffer.size() < floats) {
    buffer.resize(floats);
  }
  return buffer.data();
}

}  // namespace runner::kernels
