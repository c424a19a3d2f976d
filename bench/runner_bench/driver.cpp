#include "bench/runner_bench/driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>

#include "bench/runner_bench/child_process.hpp"
#include "framework/config/experiment.hpp"

namespace runner::bench {

namespace {

// Every round's rows, per thread count (in the order of the thread counts).
struct Rounds {
  std::vector<std::vector<Row>> ours, theirs;
  std::vector<std::string> ratio_lines;  // runner / pytorch per round and thread count
};

// Every round measures every thread count, runner and PyTorch in turn, so that a slow spell of a
// shared machine falls on both sides and on both thread counts.
std::optional<Rounds> measure_rounds(const Settings& settings,
                                     const std::vector<std::size_t>& thread_counts, int rounds,
                                     bool have_torch, const Flops& flops) {
  Rounds out{std::vector<std::vector<Row>>(thread_counts.size()),
             std::vector<std::vector<Row>>(thread_counts.size()),
             {}};
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < thread_counts.size(); ++i) {
      const std::size_t threads = thread_counts[i];
      // The machine's own GEMM rate just before and after, measured here so the worker's peak
      // RSS is the model's alone. The lower one flags a slow spell during the measurement.
      const double gemm_before = gemm_peak_in_arena(threads);
      const CoreHandoff before = threads > 1 ? measure_core_handoff() : CoreHandoff{};
      auto r = measure_runner(settings, threads);
      if (!r) {
        return std::nullopt;
      }
      r->gemm_peak = std::min(gemm_before, gemm_peak_in_arena(threads));
      // The costlier of the two handoffs, so a far-apart spell that began or ended during the
      // run shows.
      const CoreHandoff after = threads > 1 ? measure_core_handoff() : CoreHandoff{};
      r->handoff = after.crossing_us > before.crossing_us ? after : before;
      out.ours[i].push_back(*r);
      if (have_torch) {
        if (const auto t = measure_torch(settings, threads, flops)) {
          out.theirs[i].push_back(*t);
          // bench/torch_cnn.py measures no latency (0): no latency ratio then.
          const std::string latency = t->latency_ms > 0 ? fmt::format(", batch-1 latency {:.2f}x",
                                                                      r->latency_ms / t->latency_ms)
                                                        : "";
          out.ratio_lines.push_back(fmt::format(
              "runner / pytorch, {} thread(s) round {}: training {:.2f}x, inference {:.2f}x{}",
              threads, round + 1, r->train_ips / t->train_ips, r->infer_ips / t->infer_ips,
              latency));
        }
      }
    }
  }
  return out;
}

// runner's 1 -> 2 thread scaling within each round (both measured minutes apart at most).
std::vector<std::string> scaling_lines(const Rounds& measured,
                                       const std::vector<std::size_t>& thread_counts) {
  std::vector<std::string> lines;
  const auto at_one = std::find(thread_counts.begin(), thread_counts.end(), 1U);
  const auto at_two = std::find(thread_counts.begin(), thread_counts.end(), 2U);
  if (at_one == thread_counts.end() || at_two == thread_counts.end()) {
    return lines;
  }
  const auto& a = measured.ours[static_cast<std::size_t>(at_one - thread_counts.begin())];
  const auto& b = measured.ours[static_cast<std::size_t>(at_two - thread_counts.begin())];
  for (std::size_t round = 0; round < a.size(); ++round) {
    const double train = b[round].train_ips / a[round].train_ips;
    const double infer = b[round].infer_ips / a[round].infer_ips;
    const double machine = b[round].gemm_peak / a[round].gemm_peak;
    lines.push_back(
        fmt::format("runner scaling 1 -> 2 threads, round {}: training {:.2f}x, inference "
                    "{:.2f}x; the machine's sgemm {:.2f}x; 2 MB from the other core {:.0f} "
                    "us (kept {:.0f}); thread sleeps in training {:.0f} (2 threads), {:.0f} (1)",
                    round + 1, train, infer, machine, b[round].handoff.crossing_us,
                    b[round].handoff.kept_us, b[round].sleeps, a[round].sleeps));
  }
  return lines;
}

const Row* find_row(const std::vector<Row>& rows, const std::string& who, std::size_t threads) {
  for (const auto& r : rows) {
    if (r.who == who && r.threads == threads) {
      return &r;
    }
  }
  return nullptr;
}

void print_table(const std::vector<Row>& rows) {
  fmt::print("\n{:<8} {:>7} {:>12} {:>9} {:>13} {:>12} {:>9} {:>13} {:>11} {:>13} {:>9}\n", "",
             "threads", "train img/s", "GFLOP/s", "ratio", "infer img/s", "GFLOP/s", "ratio",
             "latency ms", "ratio", "peak RSS");
  for (const auto& r : rows) {
    std::string train_ratio;
    std::string infer_ratio;
    std::string latency_ratio;
    if (const Row* t = find_row(rows, "pytorch", r.threads); r.who == "runner" && t != nullptr) {
      train_ratio = fmt::format("{:.2f}x torch", r.train_ips / t->train_ips);
      infer_ratio = fmt::format("{:.2f}x torch", r.infer_ips / t->infer_ips);
      if (t->latency_ms > 0) {
        latency_ratio = fmt::format("{:.2f}x torch", r.latency_ms / t->latency_ms);
      }
    }
    fmt::print(
        "{:<8} {:>7} {:>12.0f} {:>9.1f} {:>13} {:>12.0f} {:>9.1f} {:>13} {:>11.3f} {:>13} "
        "{:>6.0f} MB\n",
        r.who, r.threads, r.train_ips, r.train_gflops, train_ratio, r.infer_ips, r.infer_gflops,
        infer_ratio, r.latency_ms, latency_ratio, r.rss);
  }
}

// The sgemm peak and how much of it runner reaches, and runner's scaling by the medians.
void print_efficiency(const std::vector<Row>& rows) {
  for (const auto& r : rows) {
    if (r.who == "runner") {
      fmt::print(
          "runner {} thread(s): sgemm peak {:.1f} GFLOP/s (1024^3 per thread); training "
          "reaches {:.0f}% of it, inference {:.0f}%\n",
          r.threads, r.gemm_peak, 100 * r.train_gflops / r.gemm_peak,
          100 * r.infer_gflops / r.gemm_peak);
    }
  }
  const Row* one = find_row(rows, "runner", 1);
  const Row* two = find_row(rows, "runner", 2);
  if (one != nullptr && two != nullptr) {
    fmt::print("runner scaling 1 -> 2 threads: training {:.2f}x, inference {:.2f}x\n",
               two->train_ips / one->train_ips, two->infer_ips / one->infer_ips);
  }
}

}  // namespace

int driver(const Settings& settings, const std::vector<std::size_t>& thread_counts, int rounds) {
  const bool have_torch = std::filesystem::exists(settings.torch_script) &&
                          run_child({"/usr/bin/python3", "-c", "import torch"}).exit_code == 0;
  // FLOPs of the model, for PyTorch's GFLOP/s.
  const Experiment experiment = load_experiment(settings.experiment);
  const Flops flops = count_flops(build_model(experiment, declared_input_shape(experiment)));
  const auto measured = measure_rounds(settings, thread_counts, rounds, have_torch, flops);
  if (!measured) {
    return 1;
  }
  // The table shows medians; the per-round ratios are listed below it.
  std::vector<Row> rows;
  for (std::size_t i = 0; i < thread_counts.size(); ++i) {
    rows.push_back(median_row(measured->ours[i]));
    if (!measured->theirs[i].empty()) {
      rows.push_back(median_row(measured->theirs[i]));
    }
  }
  print_table(rows);
  print_efficiency(rows);
  for (const std::size_t threads : thread_counts) {
    const Row* ours = find_row(rows, "runner", threads);
    const Row* theirs = find_row(rows, "pytorch", threads);
    if (ours != nullptr && theirs != nullptr) {
      // One line per thread count for scripts (bench/suite.sh): runner / PyTorch.
      const std::string latency =
          theirs->latency_ms > 0
              ? fmt::format(", batch-1 latency {:.2f}x of PyTorch's ({:.3f} vs {:.3f} ms)",
                            ours->latency_ms / theirs->latency_ms, ours->latency_ms,
                            theirs->latency_ms)
              : "";
      fmt::print(
          "ratios at {} thread(s): training {:.2f}x, inference {:.2f}x{}, peak RSS {:.0f} vs "
          "{:.0f} MB\n",
          threads, ours->train_ips / theirs->train_ips, ours->infer_ips / theirs->infer_ips,
          latency, ours->rss, theirs->rss);
    }
  }
  for (const auto& line : scaling_lines(*measured, thread_counts)) {
    fmt::print("{}\n", line);
  }
  for (const auto& line : measured->ratio_lines) {
    fmt::print("{}\n", line);
  }
  fmt::print(
      "{}: batch {} training ({} steps after {} warm-up), inference of the test images at "
      "batch {} (median of {}, each of at least 10,000 images), batch-1 latency (median of 200); medians of {} alternating "
      "rounds; {:.1f} MFLOP per training image, {:.1f} per inference; PyTorch: {}\n",
      settings.experiment, experiment.batch_size, settings.steps, settings.warmup,
      settings.eval_batch, settings.repeats, rounds, flops.training * 1e-6, flops.forward * 1e-6,
      settings.torch_script);
  if (!have_torch) {
    fmt::print("PyTorch not found (apt-get install python3-torch): no reference rows\n");
  }
  return 0;
}

}  // namespace runner::bench
