#pragma once
// What a sweep shows: the live view (one line per trial as it is proposed: running with its
// progress, completed, pruned, failed, ...; redrawn in place on a terminal, printed as events
// otherwise) and the leaderboard at the end. Both fit the terminal's width; summary.csv keeps
// everything.
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "framework/app/sweep_runner.hpp"

namespace runner {

class SweepTable {
 public:
  SweepTable(const Sweep& sweep, const SweepOptions& options);
  // Shows every change of the study's trials from now on, starting with the ones it brought
  // from an earlier run.
  void follow(SweepStudy& study);
  // Shows trial `r` (by its number; a new number adds a line) in its state. `chatter` (epoch
  // progress) only redraws a terminal's table; other changes are also printed as events when
  // the output is not a terminal. Thread-safe.
  void set(const TrialResult& r, const std::string& progress = "", bool chatter = false);

 private:
  struct Row {
    std::string id;
    std::vector<std::pair<std::string, std::string>> assignments;
    std::string state;
    std::string progress;
  };
  [[nodiscard]] std::string describe(const Row& row, bool short_names) const;
  void draw();

  const Sweep& sweep_;
  std::FILE* out_;
  bool quiet_;
  bool tty_;
  std::vector<Row> rows_;
  std::vector<std::string> short_names_;  // the parameters' paths by their last distinct parts
  std::mutex mutex_;
  int drawn_ = 0;
};

// What the sweep's first line says it searches: "a grid of 12 trials" or "method tpe".
std::string search_description(const Sweep& sweep);

// A metric as the sweep shows it: 4 decimals, "-" for none (NaN).
std::string metric_text(double v);

// The ranked trials as a table no wider than `width` (0: any width): rank, trial, the
// parameters by their last distinct parts, the metric, best epoch, test results, epochs, s/epoch;
// failed trials' errors below it.
std::string leaderboard_text(const Sweep& sweep, const std::vector<TrialResult>& ranked,
                             std::size_t width);

}  // namespace runner
