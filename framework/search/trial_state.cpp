#include "framework/search/trial_state.hpp"

#include <array>
#include <utility>

namespace runner {

namespace {
constexpr std::array<std::pair<TrialState, std::string_view>, 6> kNames{{
    {TrialState::kQueued, "queued"},
    {TrialState::kRunning, "running"},
    {TrialState::kCompleted, "completed"},
    {TrialState::kPruned, "pruned"},
    {TrialState::kInterrupted, "interrupted"},
    {TrialState::kFailed, "failed"},
}};
}  // namespace

std::string_view state_name(TrialState state) {
  for (const auto& [s, name] : kNames) {
    if (s == state) {
      return name;
    }
  }
  return "failed";
}

std::optional<TrialState> parse_state(std::string_view name) {
  for (const auto& [s, n] : kNames) {
    if (n == name) {
      return s;
    }
  }
  return std::nullopt;
}

std::vector<std::string> state_names() {
  std::vector<std::string> out;
  for (const auto& entry : kNames) {
    out.emplace_back(entry.second);
  }
  return out;
}

bool is_finished(TrialState state) {
  return state == TrialState::kCompleted || state == TrialState::kPruned;
}

}  // namespace runner
