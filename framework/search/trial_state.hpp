#pragma once
// The one vocabulary for the state of a trial or a run, used by the sweep's live table, its
// leaderboard, summary.csv, summary.h5 and `runner compare`.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runner {

enum class TrialState {
  kQueued,       // not started
  kRunning,      // training now
  kCompleted,    // trained every epoch (or stopped by its own EarlyStopping)
  kPruned,       // stopped by the sweep's pruner; keeps its folder and history
  kInterrupted,  // stopped by a signal; its state.bin resumes it
  kFailed,       // an error; the reason is kept
};

std::string_view state_name(TrialState state);
std::optional<TrialState> parse_state(std::string_view name);
std::vector<std::string> state_names();
// Completed or pruned: the trial has its final numbers and is not run again.
bool is_finished(TrialState state);

}  // namespace runner
