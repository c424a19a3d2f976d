#pragma once
// Sweep files: a base experiment, the values to try for some of its settings (by the same key
// paths --set takes, e.g. model.layers.dropout.rate), grid or random, and the metric to rank by.
//
//   sweep:
//     name: filters-dropout
//     base: cnn.yaml               # relative to the sweep file
//     method: grid                 # grid | random
//     trials: 10                   # random: how many
//     seed: 0                      # random: which
//     metric: val_loss
//     goal: minimize               # minimize | maximize
//     concurrency: 2               # trials at once (threads are shared out between them)
//     set: [fit.epochs=5]          # fixed overrides for every trial
//     parameters:
//       model.layers.conv2d.filters: [16, 32, 64]             # a list: every value (grid) or a
//       choice (random) model.layers.dropout.rate: {min: 0.1, max: 0.5}       # a range: random
//       only
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/config/experiment.hpp"

namespace runner {

struct SweepParameter {
  std::string path;
  std::vector<std::string> values;  // YAML text of each value
  std::optional<double> min, max;   // a range (random only)
  bool log_scale = false;
  SourceLocation where;
};

struct Trial {
  std::vector<std::pair<std::string, std::string>> assignments;  // path -> value text
  [[nodiscard]] std::vector<std::string> overrides() const;      // "path=value"
};

struct Sweep {
  std::string file;
  std::string name;
  std::string base;  // resolved path of the base experiment
  std::string method = "grid";
  std::int64_t trials = 0;
  std::uint32_t seed = 0;
  std::string metric = "val_loss";
  bool minimize = true;
  std::int64_t concurrency = 1;
  // The most trials the sweep may have (counted before they are listed): a documented default
  // the user raises, up to a hard limit that keeps the list in memory.
  static constexpr std::int64_t kDefaultMaxTrials = 10000;
  static constexpr std::int64_t kMaxTrials = 1000000;
  std::int64_t max_trials = kDefaultMaxTrials;
  std::vector<std::string> fixed;  // overrides for every trial
  std::vector<SweepParameter> parameters;
};

// True when the YAML file at `path` is a sweep (has a top-level `sweep:`).
bool is_sweep_file(const std::string& path);

// Reads and checks a sweep, including every parameter path against the base experiment
// (a path that does not exist is reported at the parameter's position). Throws ConfigError.
Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides = {});

// The trials in a fixed order: the grid's cartesian product (last parameter fastest), or
// `trials` random draws from `seed`.
std::vector<Trial> expand_trials(const Sweep& sweep);
// How many trials expand_trials would list, without listing them (saturating at UINT64_MAX).
std::uint64_t trial_count(const Sweep& sweep);

}  // namespace runner
