#pragma once
// runner_bench's measurements of the machine and the model, beside the throughput: the model's
// arithmetic, the machine's GEMM rate, thread sleeps, the cost of a core-to-core handoff, peak RSS.
#include <cstddef>

#include "framework/nn/model.hpp"

namespace runner::bench {

// Multiply-adds (x2) per image as direct convolution does them: three GEMMs per layer in
// training (forward, input gradient, weight gradient; the first layer has no input gradient),
// one in inference.
struct Flops {
  double forward = 0;   // per image
  double training = 0;  // per image
};
Flops count_flops(const Model& model);

// The machine's GEMM rate with `threads` threads (GFLOP/s), in a oneTBB arena of that size.
double gemm_peak_in_arena(std::size_t threads);

// Times this process's threads went to sleep (waits that gave up the CPU).
long voluntary_context_switches();

// What it costs one core to update 2 MB the other core has just written, against updating
// 2 MB it wrote itself (microseconds); see machine.cpp.
struct CoreHandoff {
  double crossing_us = 0, kept_us = 0;
};
CoreHandoff measure_core_handoff();

// This process's peak resident memory.
double peak_rss_mb();

}  // namespace runner::bench
