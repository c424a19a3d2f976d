// runner_bench: training and inference throughput and batch-1 latency of the reference CNN,
// runner against the PyTorch reference (bench/torch_cnn.py) in the same invocation; with
// --model FILE, of any experiment's model against its PyTorch twin (bench/torch_from_yaml.py). This
// file reads the command line; machine.cpp measures the machine, worker.cpp is the timed runner
// process, measure.cpp runs and reads the children, driver.cpp makes the rounds and prints the
// table.
//
//   build/release/runner_bench [--model FILE.yaml] [--steps 300] [--threads-list 1,2]
//                              [--infer-repeats 3] [--rounds 3]
//
// Each of --rounds rounds measures runner and PyTorch in turn at every thread count, and the
// table shows the medians: this machine's speed drifts by up to a third from one run to the next
// (other tenants), and alternating puts both sides and both thread counts under the same
// conditions.
// Each measurement runs in its own child process, so peak RSS (from wait4) is that run's alone.
// Around each runner measurement the driver also measures the machine (sgemm peak, the cost of
// handing memory from one core to the other) for the per-round lines.
// runner's child trains `steps` steps of batch 32 after a warm-up and evaluates the 10,000 test
// images at --eval-batch (PyTorch's reference default, 256) --infer-repeats times (median; a
// test part under 10,000 images runs over and over within a repeat, on both sides).
// GFLOP/s counts the multiply-adds of the convolutions and dense layers (x2) as direct
// convolution does them, three GEMMs per layer in training (forward, input gradient, weight
// gradient; the first layer has no input gradient), one in inference. runner's Winograd layer
// does fewer multiplications, so its "GFLOP/s" is an effective rate, comparable as speed.
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/runner_bench/driver.hpp"

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
  std::string model;
  bool worker = false;
  bool profile = false;
  po::options_description desc("runner_bench [options]");
  desc.add_options()("help,h", "show this help")(
      "experiment", po::value(&experiment)->default_value(experiment), "the model and data")(
      "model", po::value(&model),
      "an experiment file to compare with its PyTorch twin (bench/torch_from_yaml.py builds it "
      "from the same file)")("torch-script", po::value(&torch_script)->default_value(torch_script),
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
  const bool twin = !model.empty();
  if (twin) {
    experiment = model;
    torch_script = "bench/torch_from_yaml.py";
  }
  if (steps <= 0 || warmup < 0 || repeats <= 0 || eval_batch <= 0 || rounds <= 0) {
    fmt::print(stderr,
               "error: runner_bench: --steps, --infer-repeats, --eval-batch and --rounds must be "
               "positive\n");
    return 2;
  }
  try {
    if (worker) {
      const runner::bench::Settings settings{"",     experiment, "",      false,  steps,
                                             warmup, eval_batch, repeats, profile};
      return runner::bench::worker(settings, threads);
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
                                           twin,
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
