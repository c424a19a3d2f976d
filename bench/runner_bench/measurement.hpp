#pragma once
// One measurement of runner (a worker process: runner_bench --worker) or of the PyTorch
// reference (bench/torch_cnn.py) at one thread count, and the medians over rounds.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/runner_bench/machine.hpp"

namespace runner::bench {

// What every measurement needs: this program, the experiment, the reference script, sizes.
struct Settings {
  std::string self, experiment, torch_script;
  bool twin = false;  // torch_script is bench/torch_from_yaml.py, given the experiment file
  std::int64_t steps = 0, warmup = 0, eval_batch = 0;
  int repeats = 0;
  bool profile = false;
};

// One line of the table.
struct Row {
  std::string who;
  std::size_t threads = 0;
  double train_ips = 0, train_gflops = 0, infer_ips = 0, infer_gflops = 0, rss = 0;
  double gemm_peak = 0;
  double sleeps = 0;      // runner: thread sleeps during the timed training steps
  CoreHandoff handoff;    // runner, 2 or more threads: measured just before and after
  double latency_ms = 0;  // median batch-1 prediction
};

// The worker process: trains s.steps steps after s.warmup, evaluates the test images
// s.repeats times, prints one JSON line. Returns the exit code.
int worker(const Settings& s, std::size_t threads);

// One round's measurement of runner (a worker process) for one thread count.
std::optional<Row> measure_runner(const Settings& s, std::size_t threads);
// One round's measurement of the PyTorch reference for one thread count.
std::optional<Row> measure_torch(const Settings& s, std::size_t threads, const Flops& flops);

// Each metric's median over the rounds; the largest peak RSS.
Row median_row(const std::vector<Row>& rounds);

}  // namespace runner::bench
