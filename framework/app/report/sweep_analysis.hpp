#pragma once
// What a report shows of a sweep beyond its leaderboard, read from the sweep folder's
// summary.csv (and summary.h5's goal): the optimisation history (each trial's result by trial
// number and the best so far), parallel coordinates of the settings, and parameter importances.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "framework/plot/charts.hpp"
#include "framework/plot/parallel_coordinates.hpp"

namespace runner::report {

struct SweepTrials {
  std::string metric;
  bool minimize = true;
  std::vector<std::string> parameters;  // key paths, in summary.csv's order
  std::vector<std::string> log_scale;   // the parameters searched on a log scale
  struct Trial {
    std::int64_t number = 0;
    std::string status;
    std::vector<std::string> values;  // per parameter; empty where it does not apply
    double value = 0;                 // the metric's best (NaN: none)
  };
  std::vector<Trial> trials;  // by number
};

// The sweep in `dir` (a folder with a summary.csv that has trial numbers), or nothing.
std::optional<SweepTrials> read_sweep_trials(const std::filesystem::path& dir);

plot::LineChart optimisation_history(const SweepTrials& sweep);
plot::ParallelCoordinates parallel_coordinates(const SweepTrials& sweep);
// Completed trials' importance per parameter (framework/search/importance.hpp), largest first.
std::vector<std::pair<std::string, double>> importances(const SweepTrials& sweep);

}  // namespace runner::report
