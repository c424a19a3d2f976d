// Layer micro-benchmarks: each case of bench/layer_cases.yaml (one layer, an input shape, a
// batch) built as a one-layer model, its forward (training mode) and backward timed on 1 and 2
// threads. Prints one JSON object per case and thread count; bench/layers_side_by_side.sh puts
// them beside PyTorch's (bench/torch_layers.py).
//   build/release/runner_layer_bench [bench/layer_cases.yaml] [--only NAME] [--seconds S]
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include "framework/config/experiment.hpp"
#include "framework/core/parallel.hpp"
#include "framework/nn/model.hpp"

namespace {

using runner::Model;
using runner::Tensor;
using Clock = std::chrono::steady_clock;

struct Timing {
  double forward_ms, backward_ms;
};

double milliseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Median of repeated passes over at least `seconds` (after three warm-up passes).
// A layer that is `first` in its model computes no input gradient (augmentation layers).
Timing time_layer(const YAML::Node& layer, const runner::Shape& input, long batch, bool first,
                  double seconds) {
  Model model = runner::build_layers({layer}, input, 42, "bench/layer_cases.yaml");
  model.prepare(batch);
  Tensor x{input.with_batch(batch)};
  Tensor grad_x{input.with_batch(batch)};
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  }
  Tensor grad;
  std::vector<double> forward, backward;
  const auto begin = Clock::now();
  for (int rep = 0; rep < 3 || milliseconds_since(begin) < seconds * 1000.0; ++rep) {
    const runner::Pass pass{runner::Mode::kTrain, static_cast<std::uint64_t>(rep)};
    auto t0 = Clock::now();
    const Tensor& y = model.forward(x, pass);
    const double f = milliseconds_since(t0);
    if (grad.size() != y.size()) {
      grad = Tensor(y.shape());
      for (std::size_t i = 0; i < grad.size(); ++i) {
        grad[i] = static_cast<float>(std::cos(0.11 * static_cast<double>(i)));
      }
    }
    model.zero_gradients();
    t0 = Clock::now();
    model.entry(0).layer->backward(x, y, grad, first ? nullptr : &grad_x);
    const double b = milliseconds_since(t0);
    if (rep >= 3) {
      forward.push_back(f);
      backward.push_back(b);
    }
  }
  auto median = [](std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  return {median(forward), median(backward)};
}

}  // namespace

namespace {
int run(int argc, char** argv) {
  std::string cases_file = "bench/layer_cases.yaml";
  std::string only;
  double seconds = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::stod(argv[++i]);
    } else if (arg == "--help" || arg == "-h") {
      fmt::print("usage: runner_layer_bench [CASES.yaml] [--only NAME] [--seconds S]\n");
      return 0;
    } else if (arg.starts_with("-")) {
      fmt::print(stderr, "runner_layer_bench: unknown option '{}' (see --help)\n", arg);
      return 2;
    } else {
      cases_file = arg;
    }
  }
  const YAML::Node cases = YAML::LoadFile(cases_file);
  for (const int threads : {1, 2}) {
    const runner::ThreadLimit limit(static_cast<std::size_t>(threads));
    for (const auto& c : cases) {
      const auto name = c["name"].as<std::string>();
      if (!only.empty() && name != only) {
        continue;
      }
      const auto dims = c["input"].as<std::vector<std::int64_t>>();
      const bool first = c["first"] && c["first"].as<bool>();
      const Timing t =
          time_layer(c["layer"], runner::Shape(dims), c["batch"].as<long>(), first, seconds);
      fmt::print(
          "{{\"name\": \"{}\", \"threads\": {}, \"forward_ms\": {:.4f}, "
          "\"backward_ms\": {:.4f}}}\n",
          name, threads, t.forward_ms, t.backward_ms);
      std::fflush(stdout);
    }
  }
  return 0;
}
}  // namespace

// Bad input (a missing or malformed cases file, a case the layer registry refuses) is one
// message and exit 1, never an uncaught exception.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "runner_layer_bench: {}\n", e.what());
    return 1;
  }
}
