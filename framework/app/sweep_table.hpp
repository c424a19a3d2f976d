#pragma once
// The live view of a sweep: one line per trial (queued, running with its progress, done,
// skipped, failed), redrawn in place on a terminal and printed as events otherwise.
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "framework/app/sweep_runner.hpp"

namespace runner {

class SweepTable {
 public:
  SweepTable(const Sweep& sweep, const std::vector<TrialResult>& results,
             const SweepOptions& options);
  // Thread-safe.
  void set(std::size_t i, const std::string& state, const std::string& progress = "");

 private:
  [[nodiscard]] std::string describe(std::size_t i) const;
  void draw();

  const Sweep& sweep_;
  const std::vector<TrialResult>& results_;
  std::FILE* out_;
  bool quiet_;
  bool tty_;
  std::vector<std::string> state_;
  std::vector<std::string> progress_;
  std::mutex mutex_;
  int drawn_ = 0;
};

}  // namespace runner
