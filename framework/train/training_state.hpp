#pragma once
// Everything needed to continue a training run exactly where it stopped, saved with
// Boost.Serialization (binary archive, versioned) as state.bin in the run folder: after every
// epoch, and at the step where Ctrl-C or SIGTERM arrived. Randomness needs no state: shuffles
// derive from (seed, epoch) and dropout masks from (seed, step).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace runner {

// A callback's own state (EarlyStopping's wait and best weights, ...).
// What a callback saved (Callback::save_state); empty: nothing, it starts afresh on resume.
struct CallbackState {
  std::map<std::string, double> numbers;
  std::map<std::string, std::vector<float>> arrays;
};

struct EpochState {
  std::int64_t epoch = 0;
  std::vector<std::pair<std::string, double>> logs;
  double seconds = 0;
};

struct TrainingState {
  // 2: metric_sums replaced the correct count; 3: weights_in_checkpoint and a CRC-32 trailer.
  static constexpr unsigned kVersion = 3;
  std::string config_hash;          // of the run's config.yaml: a state never resumes another run
  std::int64_t epoch = 0;           // 0-based epoch to continue
  std::int64_t step = 0;            // steps of that epoch already done
  double loss_sum = 0;              // running sums of the unfinished epoch
  std::vector<double> metric_sums;  // MetricSet state
  std::int64_t seen = 0;
  double epoch_seconds = 0;  // time already spent in the unfinished epoch
  std::vector<float> params;
  std::int64_t iterations = 0;
  double learning_rate = 0;
  std::map<std::string, std::vector<float>> slots;
  std::vector<EpochState> history;
  std::vector<CallbackState> callbacks;
  // A finished run's state keeps no weights, optimizer slots or callback arrays: continuing it
  // (runner resume --epochs) reads the weights and optimizer state from model-final.h5, and its
  // callbacks start afresh as in a new fit.
  bool weights_in_checkpoint = false;
};

// Atomic write (temporary file, then rename). Throws Error when the disk refuses.
void save_training_state(const std::filesystem::path& path, const TrainingState& state);
// Throws CheckpointError for a missing, truncated, damaged (checksum), foreign or
// newer-version file, or one whose fields contradict each other.
TrainingState load_training_state(const std::filesystem::path& path);

// Rewrites a finished run's state without what model-final.h5 holds (weights_in_checkpoint):
// the reference run's 5.3 MB become a few kilobytes.
void compact_finished_state(const std::filesystem::path& path);

}  // namespace runner
