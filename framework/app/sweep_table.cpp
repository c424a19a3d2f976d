#include "framework/app/sweep_table.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace runner {

SweepTable::SweepTable(const Sweep& sweep, const std::vector<TrialResult>& results,
                       const SweepOptions& options)
    : sweep_(sweep),
      results_(results),
      out_(options.out),
      quiet_(options.quiet),
      tty_(options.redraw && isatty(fileno(options.out)) != 0),
      state_(results.size(), "queued"),
      progress_(results.size()) {}

void SweepTable::set(std::size_t i, const std::string& state, const std::string& progress) {
  std::lock_guard lock(mutex_);
  state_[i] = state;
  if (!progress.empty()) {
    progress_[i] = progress;
  }
  if (quiet_) {
    return;
  }
  if (tty_) {
    draw();
  } else if (state != "running" || progress.empty()) {
    fmt::print(out_, "{} {}: {}{}\n", results_[i].id, describe(i), state,
               progress_[i].empty() ? "" : " (" + progress_[i] + ")");
    std::fflush(out_);
  }
}

std::string SweepTable::describe(std::size_t i) const {
  std::string text;
  for (const auto& [path, value] : results_[i].trial.assignments) {
    text += (text.empty() ? "" : " ") + path + "=" + value;
  }
  return text;
}

void SweepTable::draw() {
  if (drawn_ > 0) {
    fmt::print(out_, "\x1b[{}A", drawn_);
  }
  std::size_t done = 0;
  std::size_t running = 0;
  for (const auto& s : state_) {
    done += s == "done" || s == "skipped" || s == "failed" ? 1 : 0;
    running += s == "running" ? 1 : 0;
  }
  fmt::print(out_, "sweep {}: {} done, {} running, {} queued\x1b[K\n", sweep_.name, done, running,
             state_.size() - done - running);
  for (std::size_t i = 0; i < state_.size(); ++i) {
    fmt::print(out_, "  {:<8} {}  {}{}\x1b[K\n", state_[i], results_[i].id.substr(0, 14),
               describe(i), progress_[i].empty() ? "" : "  " + progress_[i]);
  }
  drawn_ = static_cast<int>(state_.size()) + 1;
  std::fflush(out_);
}

}  // namespace runner
