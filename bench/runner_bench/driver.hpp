#pragma once
// The driver: rounds of measurements (runner and PyTorch in turn at every thread count), then
// the table of medians and the per-round lines.
#include <cstddef>
#include <vector>

#include "bench/runner_bench/measurement.hpp"

namespace runner::bench {

// Returns the exit code: 1 when a runner measurement failed.
int driver(const Settings& settings, const std::vector<std::size_t>& thread_counts, int rounds);

}  // namespace runner::bench
