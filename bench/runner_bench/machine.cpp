#include "bench/runner_bench/machine.hpp"

#include <sys/resource.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "framework/core/parallel.hpp"
#include "layers/kernels/gemm.hpp"

namespace runner::bench {

using Clock = std::chrono::steady_clock;

Flops count_flops(const Model& model) {
  Flops f;
  bool first = true;
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto& e = model.entry(i);
    // Each kernel's elements x the output's positions = multiply-adds per image: a Dense or
    // Conv2D kernel, and both of SeparableConv2D's; a depthwise kernel (k, k, in, multiplier)
    // too, its in x multiplier being the output channels. Vectors (bias, normalization) are not
    // counted.
    const double positions = static_cast<double>(e.output_shape.elements()) /
                             static_cast<double>(e.output_shape.dims().back());
    double macs = 0;
    for (const ParamSlot& slot : e.slots) {
      if (slot.trainable && slot.shape.rank() >= 2) {
        macs += static_cast<double>(slot.shape.elements()) * positions;
      }
    }
    if (macs == 0) {
      continue;
    }
    f.forward += 2 * macs;
    f.training += 2 * macs * (first ? 2 : 3);
    first = false;
  }
  return f;
}

// The machine's GEMM rate with `threads` threads: one 1024^3 sgemm per thread, concurrently,
// through the same kernels::gemm the layers use (best of 5).
namespace {
double gemm_peak_gflops(std::size_t threads) {
  constexpr int kN = 1024;
  const std::size_t count = std::max<std::size_t>(threads, 1);
  std::vector<std::vector<float>> a(count, std::vector<float>(kN * kN, 0.5F));
  std::vector<std::vector<float>> b(count, std::vector<float>(kN * kN, 0.25F));
  std::vector<std::vector<float>> c(count, std::vector<float>(kN * kN));
  double best = 0;
  for (int r = 0; r < 5; ++r) {
    const auto t = Clock::now();
    parallel_for(0, count, 1, [&](std::size_t first, std::size_t last) {
      for (std::size_t i = first; i < last; ++i) {
        kernels::gemm(false, false, kN, kN, kN, 1.0F, a[i].data(), kN, b[i].data(), kN, 0.0F,
                      c[i].data(), kN);
      }
    });
    const double s = std::chrono::duration<double>(Clock::now() - t).count();
    best = std::max(best, 2.0 * kN * kN * kN * static_cast<double>(count) / s * 1e-9);
  }
  return best;
}

}  // namespace

double gemm_peak_in_arena(std::size_t threads) {
  return tbb::task_arena(static_cast<int>(threads)).execute([&] {
    return gemm_peak_gflops(threads);
  });
}

// Times this process's threads went to sleep (waits that gave up the CPU), for the per-round
// lines. A oneTBB worker that sleeps between two parallel loops must be woken for the next;
// slow 2-thread runs on this machine showed tens of times more sleeps than fast ones.
long voluntary_context_switches() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw;
}

// What it costs one core to update 2 MB the other core has just written, against updating
// 2 MB it wrote itself (us per pass, best of three; two threads taking turns). A training step
// hands data between the cores (weights Adam just wrote, read by both halves of the batch);
// inference hardly does. On this VM the handoff costs the same as the kept update most of the time
// and about 2.7x as much in some periods (the host placing the two virtual CPUs far apart), and
// 2-thread training is slow exactly then.
CoreHandoff measure_core_handoff() {
  constexpr std::size_t kHalf = std::size_t{1} << 19;  // floats: 2 MB
  constexpr int kTurns = 200;
  std::vector<float> buffer(2 * kHalf, 1.0F);
  CoreHandoff result{1e300, 1e300};
  // Best of three of each: the other tenants' noise only ever adds.
  for (const bool crossing : {true, false, true, false, true, false}) {
    std::atomic<int> turn{0};
    auto take_turns = [&](int me) {
      for (int r = 0; r < kTurns; ++r) {
        while (turn.load(std::memory_order_acquire) != 2 * r + me) {
        }
        // Crossing: each turn updates the half the other thread updated last.
        const int half = crossing ? (r + me) % 2 : me;
        float* p = buffer.data() + static_cast<std::size_t>(half) * kHalf;
        for (std::size_t i = 0; i < kHalf; ++i) {
          p[i] = p[i] * 0.999F + 1e-3F;
        }
        turn.store(2 * r + me + 1, std::memory_order_release);
      }
    };
    const auto t = Clock::now();
    std::thread a(take_turns, 0);
    std::thread b(take_turns, 1);
    a.join();
    b.join();
    const double us = 1e6 * std::chrono::duration<double>(Clock::now() - t).count() / (2 * kTurns);
    double& best = crossing ? result.crossing_us : result.kept_us;
    best = std::min(best, us);
  }
  return result;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace runner::bench
