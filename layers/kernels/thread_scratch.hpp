#pragma once
// Scratch memory of the calling thread, for what only the task at hand reads (a chunk's
// products, a task's patches): built in the task and read back from the core's cache instead of
// a batch-sized workspace in memory. Four buffers per thread, for as many such things at once;
// each grows to its largest request and stays, so steady-state steps do not allocate. A kernel must
// not wait on other tasks while it holds one (a task run meanwhile on this thread could take the
// same buffer), unless it waits inside tbb::this_task_arena::isolate.
#include <cstddef>

namespace runner::kernels {

enum class ScratchSlot { kFirst, kSecond, kThird, kFourth };

float* thread_scratch(ScratchSlot slot, std::size_t floats);

}  // namespace runner::kernels
