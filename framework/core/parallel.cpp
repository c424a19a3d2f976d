#include "framework/core/parallel.hpp"

#include <tbb/global_control.h>

#include <memory>

namespace runner {

void sum_chunks_into_first(float* partials, std::size_t chunks, std::size_t size) {
  constexpr std::size_t kElementsPerTask = 4096;
  parallel_for(0, size, kElementsPerTask, [&](std::size_t first, std::size_t last) {
    for (std::size_t chunk = 1; chunk < chunks; ++chunk) {
      const float* __restrict part = partials + chunk * size;
      float* __restrict sum = partials;
      for (std::size_t i = first; i < last; ++i) {
        sum[i] += part[i];
      }
    }
  });
}

void add_chunk_gradients(float* partials, std::size_t chunks, std::size_t weights,
                         std::size_t biases, float* dw, float* db) {
  sum_chunks_into_first(partials, chunks, weights + biases);
  for (std::size_t i = 0; i < weights; ++i) {
    dw[i] += partials[i];
  }
  if (db != nullptr) {
    for (std::size_t j = 0; j < biases; ++j) {
      db[j] += partials[weights + j];
    }
  }
}

struct ThreadLimit::Impl {
  std::unique_ptr<tbb::global_control> control;
};

ThreadLimit::ThreadLimit(std::size_t threads) : impl_(new Impl) {
  if (threads > 0) {
    impl_->control = std::make_unique<tbb::global_control>(
        tbb::global_control::max_allowed_parallelism, threads);
  }
}

ThreadLimit::~ThreadLimit() {
  delete impl_;
}

std::size_t ThreadLimit::current() {
  return tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
}

}  // namespace runner
