#include "layers/kernels/thread_scratch.hpp"

#include <vector>

namespace runner::kernels {

float* thread_scratch(ScratchSlot slot, std::size_t floats) {
  thread_local std::vector<float> buffers[4];
  std::vector<float>& buffer = buffers[static_cast<int>(slot)];
  if (buffer.size() < floats) {
    buffer.resize(floats);
  }
  return buffer.data();
}

}  // namespace runner::kernels
