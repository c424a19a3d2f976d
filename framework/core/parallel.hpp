#pragma once
// The one way kernels run in parallel. Work is cut into fixed chunks of `grain` items
// (tbb::simple_partitioner splits the same way for any thread count), so each chunk computes
// the same thing whether 1 or 16 threads run it: results are bitwise identical across
// --threads as long as no chunk writes another's outputs.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <cstddef>

namespace runner {

template <typename Fn>
void parallel_for(std::size_t begin, std::size_t end, std::size_t grain, const Fn& fn) {
  if (end <= begin) {
    return;
  }
  tbb::parallel_for(
      tbb::blocked_range<std::size_t>(begin, end, grain == 0 ? 1 : grain),
      [&fn](const tbb::blocked_range<std::size_t>& r) { fn(r.begin(), r.end()); },
      tbb::simple_partitioner());
}

// Number of fixed chunks of at most `grain` items covering `n` (for per-chunk partial sums).
constexpr std::size_t chunk_count(std::size_t n, std::size_t grain) {
  return (n + grain - 1) / grain;
}

// `partials` holds `chunks` blocks of `size` floats (one per fixed chunk of work); adds blocks
// 1, 2, ... into block 0 in that order, in parallel over elements: the same sums on any thread
// count.
void sum_chunks_into_first(float* partials, std::size_t chunks, std::size_t size);

// The usual use of it: each chunk's block holds `weights` floats of weight gradient, then
// `biases` of bias gradient; sums the blocks (sum_chunks_into_first), then adds the total into
// dw and db (db null: no bias).
void add_chunk_gradients(float* partials, std::size_t chunks, std::size_t weights,
                         std::size_t biases, float* dw, float* db);

// Sets the thread count for the whole process (--threads); 0 keeps oneTBB's default.
class ThreadLimit {
 public:
  explicit ThreadLimit(std::size_t threads);
  ~ThreadLimit();
  ThreadLimit(const ThreadLimit&) = delete;
  ThreadLimit& operator=(const ThreadLimit&) = delete;
  static std::size_t current();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace runner
