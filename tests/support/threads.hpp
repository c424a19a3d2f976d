#pragma once
// Runs a computation with a given number of oneTBB threads.
#include <tbb/task_arena.h>

namespace runner::test {

template <typename Fn>
auto with_threads(int threads, Fn&& fn) {
  tbb::task_arena arena(threads);
  return arena.execute(std::forward<Fn>(fn));
}

}  // namespace runner::test
