#pragma once
// Sweep files: a base experiment, the settings to try (by the key paths --set takes, e.g.
// model.layers.dropout.rate), how to choose them, when to stop a trial early and when to stop
// proposing, and the metric to rank by (docs/sweeps.md).
//
//   sweep:
//     name: lr-units
//     base: cnn.yaml               # relative to the sweep file
//     method: tpe                  # grid | random | tpe | {type: tpe, multivariate: true, ...}
//     pruner: median               # none | median | asha | hyperband | {type: asha, ...}
//     max_trials: 40               # budgets: any of max_trials, max_epochs_total, timeout (s)
//     seed: 0
//     metric: val_loss
//     goal: minimize               # minimize | maximize
//     concurrency: 2               # trials at once (threads are shared out between them)
//     set: [fit.epochs=5]          # fixed overrides for every trial
//     parameters:
//       model.layers.conv2d.filters: [16, 32, 64]                  # choices
//       compile.optimizer.learning_rate: {min: 1e-4, max: 1e-2, log: true}
//       model.layers.dense.units: {type: int, min: 32, max: 256, step: 32}
//       compile.optimizer.type: [adam, sgd]
//       compile.optimizer.momentum: {min: 0, max: 0.99, when: {compile.optimizer.type: sgd}}
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/config/experiment.hpp"
#include "framework/search/pruner.hpp"
#include "framework/search/sampler.hpp"
#include "framework/search/search_space.hpp"

namespace runner {

struct Trial {
  std::vector<std::pair<std::string, std::string>> assignments;  // path -> value text
  [[nodiscard]] std::vector<std::string> overrides() const;      // "path=value"
};

struct Sweep {
  std::string file;
  std::string name;
  std::string base;             // resolved path of the base experiment
  std::string method = "grid";  // grid, or a sampler's type (random, tpe)
  YAML::Node method_node;       // the sampler's entry (its settings)
  YAML::Node pruner_node;       // the pruner's entry; null: none
  std::uint32_t seed = 0;
  std::string metric = "val_loss";
  bool minimize = true;
  std::int64_t concurrency = 1;
  // Budgets: the sweep proposes no trial once one is reached (grid: the grid's size at most).
  static constexpr std::int64_t kMaxTrials = 1000000;  // keeps the trial list in memory
  std::optional<std::int64_t> max_trials;
  std::optional<std::int64_t> max_epochs_total;
  std::optional<double> timeout_seconds;
  std::vector<std::string> fixed;  // overrides for every trial
  SearchSpace space;
  std::vector<SourceLocation> parameter_where;  // of each space parameter, for messages

  [[nodiscard]] bool grid() const { return method == "grid"; }
  [[nodiscard]] bool has_pruner() const { return pruner_node.IsDefined() && !pruner_node.IsNull(); }
};

// True when the YAML file at `path` is a sweep (has a top-level `sweep:`).
bool is_sweep_file(const std::string& path);

// Reads and checks a sweep, including every parameter path against the base experiment
// (a path that does not exist is reported at the parameter's position). Throws ConfigError.
Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides = {});

// The grid's trials in order: the cartesian product, last parameter fastest; a conditional
// parameter only varies where its condition holds.
std::vector<Trial> expand_grid(const Sweep& sweep);
// How many trials the grid has, without listing them (saturating at UINT64_MAX).
std::uint64_t grid_size(const Sweep& sweep);

// The sampler and pruner the sweep names (null pruner: none).
std::unique_ptr<Sampler> make_sampler(const Sweep& sweep);
std::unique_ptr<Pruner> make_pruner(const Sweep& sweep);

// A trial's assignments from its internal values, and back (for the samplers' history).
Trial trial_of(const Sweep& sweep, const ParameterValues& values);
ParameterValues values_of(const Sweep& sweep, const Trial& trial);

}  // namespace runner
