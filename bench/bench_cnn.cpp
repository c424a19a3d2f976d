// runner_bench: training and inference throughput of the reference CNN, runner against the
// PyTorch reference (bench/torch_cnn.py) in the same invocation.
//
//   build/release/runner_bench [--steps 300] [--threads-list 1,2] [--infer-repeats 3] [--rounds 3]
//
// Each of --rounds rounds measures runner and PyTorch in turn at every thread count, and the
// table shows the medians: this machine's speed drifts by up to a third from one run to the next
// (other tenants), and alternating puts both sides and both thread counts under the same
// conditions.
// Each measurement runs in its own child process, so peak RSS (from wait4) is that run's alone.
// Around each runner measurement the driver also measures the machine (sgemm peak, the cost of
// handing memory from one core to the other) for the per-round lines.
// runner's child trains `steps` steps of batch 32 after a warm-up and evaluates the 10,000 test
// images at --eval-batch (PyTorch's reference default, 256) --infer-repeats times (median).
// GFLOP/s counts the multiply-adds of the convolutions and dense layers (x2) as direct
// convolution does them, three GEMMs per layer in training (forward, input gradient, weight
// gradient; the first layer has no input gradient), one in inference. runner's Winograd layer
// does fewer multiplications, so its "GFLOP/s" is an effective rate, comparable as speed.
#include <fmt/format.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <optional>
#include <sstream>
#include <thread>

#include "data/split.hpp"
#include "framework/config/experiment.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/file_util.hpp"
#include "framework/json.hpp"
#include "framework/losses/sparse_categorical_crossentropy.hpp"
#include "framework/parallel.hpp"
#include "framework/trainer.hpp"
#include "layers/kernels/gemm.hpp"

extern char** environ;

namespace runner::bench {

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

struct Flops {
  double forward = 0;   // per image
  double training = 0;  // per image
};

Flops count_flops(const Model& model) {
  Flops f;
  bool first = true;
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto& e = model.entry(i);
    if (e.slots.empty()) {
      continue;
    }
    // kernel elements x output positions = multiply-adds per image
    const Shape& kernel = e.slots[0].shape;
    const double out_channels = static_cast<double>(kernel[kernel.rank() - 1]);
    const double macs = static_cast<double>(kernel.elements()) *
                        (static_cast<double>(e.output_shape.elements()) / out_channels);
    f.forward += 2 * macs;
    f.training += 2 * macs * (first ? 2 : 3);
    first = false;
  }
  return f;
}

// The machine's GEMM rate with `threads` threads: one 1024^3 sgemm per thread, concurrently,
// through the same kernels::gemm the layers use (best of 5).
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
struct CoreHandoff {
  double crossing_us = 0, kept_us = 0;
};

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

// The child: trains and evaluates, prints one JSON line.
int worker(const std::string& experiment, std::size_t threads, std::int64_t steps,
           std::int64_t warmup, int repeats, std::int64_t eval_batch, bool profile) {
  ThreadLimit limit(threads);
  const Experiment e = load_experiment(experiment);
  const Dataset data = load_dataset(e.data);
  const SplitIndices split = train_validation_split(data.train.count, e.validation_split, e.seed);
  Model model = build_model(e, data.train.sample_shape());
  model.prepare(std::max(e.batch_size, eval_batch));
  model.use_logits_output();
  auto optimizer = make_optimizer(e);
  optimizer->prepare(model.parameter_count());
  const auto order = epoch_order(split.train, e.seed, 0, true);
  Tensor x;
  Tensor grad;
  std::vector<std::int32_t> y;
  // With --profile, the parts of a step outside the layers are timed too.
  bool timing = false;
  double data_s = 0, loss_s = 0, zero_s = 0, optimizer_s = 0;
  auto timed = [&](double& total, auto&& fn) {
    if (!timing) {
      fn();
      return;
    }
    const auto t = Clock::now();
    fn();
    total += std::chrono::duration<double>(Clock::now() - t).count();
  };
  auto step = [&](std::int64_t s) {
    const auto begin =
        static_cast<std::size_t>((s * e.batch_size) % static_cast<std::int64_t>(order.size() - 64));
    timed(data_s, [&] {
      gather_batch(data.train,
                   std::span(order).subspan(begin, static_cast<std::size_t>(e.batch_size)), x, y);
    });
    const Tensor& out = model.forward(x, Pass{Mode::kTrain, static_cast<std::uint64_t>(s)});
    timed(loss_s, [&] { sparse_categorical_crossentropy(out, y, true, &grad); });
    timed(zero_s, [&] { model.zero_gradients(); });
    model.backward(grad);
    timed(optimizer_s, [&] { optimizer->apply(model.parameters(), model.gradients()); });
  };
  for (std::int64_t s = 0; s < warmup; ++s) {
    step(s);
  }
  model.enable_timing(profile);
  timing = profile;
  const long switches_before = voluntary_context_switches();
  const auto t0 = Clock::now();
  for (std::int64_t s = 0; s < steps; ++s) {
    step(warmup + s);
  }
  const double train_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const long sleeps = voluntary_context_switches() - switches_before;
  const auto times = model.layer_times();
  std::vector<std::int64_t> all(static_cast<std::size_t>(data.test.count));
  std::iota(all.begin(), all.end(), 0);
  model.enable_timing(false);
  // The warm-up's accuracy guards the speed numbers: a broken kernel shows here.
  const double test_accuracy = evaluate(model, data.test, all, eval_batch).accuracy;
  std::vector<double> infer;
  for (int r = 0; r < repeats; ++r) {
    const auto t = Clock::now();
    (void)evaluate(model, data.test, all, eval_batch);
    infer.push_back(std::chrono::duration<double>(Clock::now() - t).count());
  }
  // With --profile, one more (untimed) evaluation gives the per-layer inference times.
  model.enable_timing(profile);
  if (profile) {
    (void)evaluate(model, data.test, all, eval_batch);
  }
  const auto infer_times = model.layer_times();
  model.enable_timing(false);
  std::sort(infer.begin(), infer.end());
  const double infer_s = infer[infer.size() / 2];
  const Flops flops = count_flops(model);
  const double train_ips = static_cast<double>(steps * e.batch_size) / train_s;
  const double infer_ips = static_cast<double>(data.test.count) / infer_s;
  fmt::print(
      "{{\"threads\": {}, \"train_img_s\": {:.1f}, \"train_gflops\": {:.1f}, "
      "\"infer_img_s\": {:.1f}, \"infer_gflops\": {:.1f}, \"ms_per_step\": {:.3f}, "
      "\"test_accuracy\": {:.4f}, \"sleeps\": {}",
      ThreadLimit::current(), train_ips, train_ips * flops.training * 1e-9, infer_ips,
      infer_ips * flops.forward * 1e-9, 1e3 * train_s / static_cast<double>(steps), test_accuracy,
      sleeps);
  if (profile) {
    fmt::print(", \"profile_ms_per_step\": {{");
    for (std::size_t i = 0; i < model.size(); ++i) {
      fmt::print("{}\"{}\": [{:.3f}, {:.3f}]", i > 0 ? ", " : "", model.entry(i).name,
                 1e3 * times.forward_s[i] / static_cast<double>(steps),
                 1e3 * times.backward_s[i] / static_cast<double>(steps));
    }
    const auto per_step = [&](double total) { return 1e3 * total / static_cast<double>(steps); };
    fmt::print(
        ", \"(data)\": [{:.3f}, 0], \"(loss)\": [{:.3f}, 0], \"(zero grads)\": [0, {:.3f}], "
        "\"(optimizer)\": [0, {:.3f}]",
        per_step(data_s), per_step(loss_s), per_step(zero_s), per_step(optimizer_s));
    fmt::print("}}, \"profile_ms_per_1000_inferences\": {{");
    const double thousands = static_cast<double>(data.test.count) / 1000.0;
    for (std::size_t i = 0; i < model.size(); ++i) {
      fmt::print("{}\"{}\": {:.3f}", i > 0 ? ", " : "", model.entry(i).name,
                 1e3 * infer_times.forward_s[i] / thousands);
    }
    fmt::print("}}");
  }
  fmt::print(", \"peak_rss_mb\": {:.1f}}}\n", peak_rss_mb());
  return 0;
}

struct ChildResult {
  int exit_code = -1;
  std::string out;
  double peak_rss_mb = 0;
};

// Runs argv with stdout captured; stderr passes through.
ChildResult run_child(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  ChildResult r;
  if (spawned != 0) {
    close(fds[0]);
    return r;
  }
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) {
    r.out.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
  return r;
}

YAML::Node last_json_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (line.starts_with("{")) {
      last = line;
    }
  }
  return last.empty() ? YAML::Node() : parse_json(last, "child output");
}

struct Row {
  std::string who;
  std::size_t threads = 0;
  double train_ips = 0, train_gflops = 0, infer_ips = 0, infer_gflops = 0, rss = 0;
  double gemm_peak = 0;
  double sleeps = 0;    // runner: thread sleeps during the timed training steps
  CoreHandoff handoff;  // runner, 2 or more threads: measured just before and after
};

// What every measurement needs: this program, the experiment, the reference script, sizes.
struct Settings {
  std::string self, experiment, torch_script;
  std::int64_t steps = 0, warmup = 0, eval_batch = 0;
  int repeats = 0;
  bool profile = false;
};

// One round's measurement of runner (a worker process) for one thread count.
std::optional<Row> measure_runner(const Settings& s, std::size_t threads) {
  std::vector<std::string> argv{s.self,
                                "--worker",
                                "--experiment",
                                s.experiment,
                                "--threads",
                                std::to_string(threads),
                                "--steps",
                                std::to_string(s.steps),
                                "--warmup",
                                std::to_string(s.warmup),
                                "--infer-repeats",
                                std::to_string(s.repeats),
                                "--eval-batch",
                                std::to_string(s.eval_batch)};
  if (s.profile) {
    argv.emplace_back("--profile");
  }
  const ChildResult ours = run_child(argv);
  const YAML::Node j = last_json_line(ours.out);
  if (ours.exit_code != 0 || !j.IsMap()) {
    fmt::print(stderr, "runner_bench: worker failed (exit {})\n", ours.exit_code);
    return std::nullopt;
  }
  if (s.profile && j["profile_ms_per_step"]) {
    fmt::print("runner {} thread(s), ms per step forward/backward:", threads);
    for (const auto& kv : j["profile_ms_per_step"]) {
      fmt::print(" {} {}/{}", kv.first.Scalar(), kv.second[0].Scalar(), kv.second[1].Scalar());
    }
    fmt::print(" (total {} ms)\n", j["ms_per_step"].Scalar());
    fmt::print(
        "runner {} thread(s), inference ms per 1000 images (a layer fused into the one "
        "before it shows 0):",
        threads);
    for (const auto& kv : j["profile_ms_per_1000_inferences"]) {
      fmt::print(" {} {}", kv.first.Scalar(), kv.second.Scalar());
    }
    fmt::print("\n");
  }
  fmt::print("runner {} thread(s): test accuracy {} after the timed steps\n", threads,
             j["test_accuracy"].Scalar());
  return Row{"runner",
             threads,
             j["train_img_s"].as<double>(),
             j["train_gflops"].as<double>(),
             j["infer_img_s"].as<double>(),
             j["infer_gflops"].as<double>(),
             ours.peak_rss_mb,
             0,
             j["sleeps"].as<double>(),
             {}};
}

// One round's measurement of the PyTorch reference for one thread count.
std::optional<Row> measure_torch(const Settings& s, std::size_t threads, const Flops& flops) {
  const std::string json = fmt::format("/tmp/runner-bench-torch-{}-{}.json", getpid(), threads);
  const ChildResult torch = run_child(
      {"/usr/bin/python3", s.torch_script, "--threads", std::to_string(threads), "--channels-last",
       "--epochs", "1", "--max-steps", std::to_string(s.steps + s.warmup), "--no-val", "--no-test",
       "--bench-infer", std::to_string(s.repeats), "--eval-batch", std::to_string(s.eval_batch),
       "--json-out", json});
  if (torch.exit_code != 0) {
    fmt::print(stderr, "runner_bench: the PyTorch reference failed (exit {})\n", torch.exit_code);
    return std::nullopt;
  }
  const std::string text = read_text_file(json);
  std::filesystem::remove(json);
  const YAML::Node t = parse_json(text, json);
  const double tips = t["history"][0]["samples_per_s"].as<double>();
  const double iips = t["infer"]["median_img_per_s"].as<double>();
  return Row{"pytorch",
             threads,
             tips,
             tips * flops.training * 1e-9,
             iips,
             iips * flops.forward * 1e-9,
             torch.peak_rss_mb,
             0,
             0,
             {}};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Each metric's median over the rounds; the largest peak RSS.
Row median_row(const std::vector<Row>& rounds) {
  Row out = rounds.front();
  auto metric = [&](double Row::*field) {
    std::vector<double> v;
    for (const auto& r : rounds) {
      v.push_back(r.*field);
    }
    return median(v);
  };
  out.train_ips = metric(&Row::train_ips);
  out.train_gflops = metric(&Row::train_gflops);
  out.infer_ips = metric(&Row::infer_ips);
  out.infer_gflops = metric(&Row::infer_gflops);
  out.gemm_peak = metric(&Row::gemm_peak);
  for (const auto& r : rounds) {
    out.rss = std::max(out.rss, r.rss);
  }
  return out;
}

int driver(const Settings& settings, const std::vector<std::size_t>& thread_counts, int rounds) {
  std::vector<Row> rows;
  const bool have_torch = std::filesystem::exists(settings.torch_script) &&
                          run_child({"/usr/bin/python3", "-c", "import torch"}).exit_code == 0;
  // FLOPs of the reference model, for PyTorch's GFLOP/s.
  const Experiment e = load_experiment(settings.experiment);
  const Flops flops = count_flops(build_model(e, Shape{28, 28, 1}));
  std::vector<std::string> per_round;
  // Every round measures every thread count, runner and PyTorch in turn, so that a slow spell
  // of a shared machine falls on both sides and on both thread counts; the table shows medians
  // and the per-round ratios are listed below it.
  std::vector<std::vector<Row>> ours(thread_counts.size());
  std::vector<std::vector<Row>> theirs(thread_counts.size());
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < thread_counts.size(); ++i) {
      const std::size_t threads = thread_counts[i];
      // The machine's own GEMM rate just before and after, measured here so the worker's peak
      // RSS is the model's alone. The lower one flags a slow spell during the measurement.
      const double gemm_before = gemm_peak_in_arena(threads);
      const CoreHandoff before = threads > 1 ? measure_core_handoff() : CoreHandoff{};
      auto r = measure_runner(settings, threads);
      if (!r) {
        return 1;
      }
      r->gemm_peak = std::min(gemm_before, gemm_peak_in_arena(threads));
      // The costlier of the two handoffs, so a far-apart spell that began or ended during the
      // run shows.
      const CoreHandoff after = threads > 1 ? measure_core_handoff() : CoreHandoff{};
      r->handoff = after.crossing_us > before.crossing_us ? after : before;
      ours[i].push_back(*r);
      if (have_torch) {
        if (const auto t = measure_torch(settings, threads, flops)) {
          theirs[i].push_back(*t);
          per_round.push_back(fmt::format(
              "runner / pytorch, {} thread(s) round {}: training {:.2f}x, inference {:.2f}x",
              threads, round + 1, r->train_ips / t->train_ips, r->infer_ips / t->infer_ips));
        }
      }
    }
  }
  for (std::size_t i = 0; i < thread_counts.size(); ++i) {
    rows.push_back(median_row(ours[i]));
    if (!theirs[i].empty()) {
      rows.push_back(median_row(theirs[i]));
    }
  }
  // runner's 1 -> 2 thread scaling within each round (both measured minutes apart at most).
  const auto at_one = std::find(thread_counts.begin(), thread_counts.end(), 1U);
  const auto at_two = std::find(thread_counts.begin(), thread_counts.end(), 2U);
  std::vector<std::string> scaling_rounds;
  if (at_one != thread_counts.end() && at_two != thread_counts.end()) {
    const auto& a = ours[static_cast<std::size_t>(at_one - thread_counts.begin())];
    const auto& b = ours[static_cast<std::size_t>(at_two - thread_counts.begin())];
    for (std::size_t round = 0; round < a.size(); ++round) {
      const double train = b[round].train_ips / a[round].train_ips;
      const double infer = b[round].infer_ips / a[round].infer_ips;
      const double machine = b[round].gemm_peak / a[round].gemm_peak;
      scaling_rounds.push_back(
          fmt::format("runner scaling 1 -> 2 threads, round {}: training {:.2f}x, inference "
                      "{:.2f}x; the machine's sgemm {:.2f}x; 2 MB from the other core {:.0f} "
                      "us (kept {:.0f}); thread sleeps in training {:.0f} (2 threads), {:.0f} (1)",
                      round + 1, train, infer, machine, b[round].handoff.crossing_us,
                      b[round].handoff.kept_us, b[round].sleeps, a[round].sleeps));
    }
  }
  fmt::print("\n{:<8} {:>7} {:>12} {:>9} {:>13} {:>12} {:>9} {:>13} {:>9}\n", "", "threads",
             "train img/s", "GFLOP/s", "ratio", "infer img/s", "GFLOP/s", "ratio", "peak RSS");
  for (const auto& r : rows) {
    std::string train_ratio;
    std::string infer_ratio;
    if (r.who == "runner") {
      for (const auto& t : rows) {
        if (t.who == "pytorch" && t.threads == r.threads) {
          train_ratio = fmt::format("{:.2f}x torch", r.train_ips / t.train_ips);
          infer_ratio = fmt::format("{:.2f}x torch", r.infer_ips / t.infer_ips);
        }
      }
    }
    fmt::print("{:<8} {:>7} {:>12.0f} {:>9.1f} {:>13} {:>12.0f} {:>9.1f} {:>13} {:>6.0f} MB\n",
               r.who, r.threads, r.train_ips, r.train_gflops, train_ratio, r.infer_ips,
               r.infer_gflops, infer_ratio, r.rss);
  }
  const auto find = [&](const std::string& who, std::size_t threads) -> const Row* {
    for (const auto& r : rows) {
      if (r.who == who && r.threads == threads) {
        return &r;
      }
    }
    return nullptr;
  };
  for (const auto& r : rows) {
    if (r.who == "runner") {
      fmt::print(
          "runner {} thread(s): sgemm peak {:.1f} GFLOP/s (1024^3 per thread); training "
          "reaches {:.0f}% of it, inference {:.0f}%\n",
          r.threads, r.gemm_peak, 100 * r.train_gflops / r.gemm_peak,
          100 * r.infer_gflops / r.gemm_peak);
    }
  }
  if (const Row* one = find("runner", 1); one != nullptr) {
    if (const Row* two = find("runner", 2); two != nullptr) {
      fmt::print("runner scaling 1 -> 2 threads: training {:.2f}x, inference {:.2f}x\n",
                 two->train_ips / one->train_ips, two->infer_ips / one->infer_ips);
    }
  }
  for (const auto& line : scaling_rounds) {
    fmt::print("{}\n", line);
  }
  for (const auto& line : per_round) {
    fmt::print("{}\n", line);
  }
  fmt::print(
      "batch 32 training ({} steps after {} warm-up), inference of 10000 test images at "
      "batch {} (median of {}); medians of {} alternating rounds; {:.1f} MFLOP per training "
      "image, {:.1f} per inference\n",
      settings.steps, settings.warmup, settings.eval_batch, settings.repeats, rounds,
      flops.training * 1e-6, flops.forward * 1e-6);
  if (!have_torch) {
    fmt::print("PyTorch not found (apt-get install python3-torch): no reference rows\n");
  }
  return 0;
}

}  // namespace runner::bench

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string experiment = "experiments/cnn.yaml";
  std::string torch_script = "bench/torch_cnn.py";
  std::string threads_list = "1,2";
  std::int64_t steps = 300;
  std::int64_t warmup = 20;
  std::int64_t eval_batch = 256;
  int repeats = 3;
  int rounds = 3;
  std::size_t threads = 0;
  bool worker = false;
  bool profile = false;
  po::options_description desc("runner_bench [options]");
  desc.add_options()("help,h", "show this help")(
      "experiment", po::value(&experiment)->default_value(experiment), "the model and data")(
      "torch-script", po::value(&torch_script)->default_value(torch_script),
      "the PyTorch reference script")(
      "threads-list", po::value(&threads_list)->default_value(threads_list), "thread counts")(
      "steps", po::value(&steps)->default_value(steps), "timed training steps")(
      "warmup", po::value(&warmup)->default_value(warmup), "untimed training steps first")(
      "infer-repeats", po::value(&repeats)->default_value(repeats), "inference repeats (median)")(
      "eval-batch", po::value(&eval_batch)->default_value(eval_batch), "inference batch size")(
      "rounds", po::value(&rounds)->default_value(rounds),
      "rounds, each measuring runner and PyTorch at every thread count (medians are reported)")(
      "profile", po::bool_switch(&profile), "also print per-layer time per step")(
      "worker", po::bool_switch(&worker), "(internal) run one measurement")(
      "threads", po::value(&threads)->default_value(0), "(internal) worker thread count");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    fmt::print(stderr, "error: runner_bench: {}\n", e.what());
    return 2;
  }
  if (vm.count("help") != 0U) {
    std::cout << desc;
    return 0;
  }
  if (steps <= 0 || warmup < 0 || repeats <= 0 || eval_batch <= 0 || rounds <= 0) {
    fmt::print(stderr,
               "error: runner_bench: --steps, --infer-repeats, --eval-batch and --rounds must be "
               "positive\n");
    return 2;
  }
  try {
    if (worker) {
      return runner::bench::worker(experiment, threads, steps, warmup, repeats, eval_batch,
                                   profile);
    }
    std::vector<std::size_t> counts;
    std::stringstream list(threads_list);
    std::string item;
    while (std::getline(list, item, ',')) {
      counts.push_back(std::stoul(item));
    }
    const runner::bench::Settings settings{std::filesystem::canonical("/proc/self/exe").string(),
                                           experiment,
                                           torch_script,
                                           steps,
                                           warmup,
                                           eval_batch,
                                           repeats,
                                           profile};
    return runner::bench::driver(settings, counts, rounds);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
