#include "framework/parallel.hpp"

#include <tbb/global_control.h>

#include <memory>

namespace runner {

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
