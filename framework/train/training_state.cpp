#include "framework/train/training_state.hpp"

#include <fmt/format.h>

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <cerrno>
#include <fstream>

#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"

namespace runner {
namespace {
// A version-1 state.bin: the accuracy count where metric_sums is now.
struct TrainingStateV1 {
  TrainingState state;
  std::int64_t correct = 0;
};
}  // namespace
}  // namespace runner

namespace boost::serialization {

template <class Archive>
void serialize(Archive& ar, runner::CallbackState& s, const unsigned /*version*/) {
  ar& s.numbers& s.arrays;
}

template <class Archive>
void serialize(Archive& ar, runner::EpochState& s, const unsigned /*version*/) {
  ar& s.epoch& s.logs& s.seconds;
}

// Version 1's layout: `correct` where metric_sums is now.
template <class Archive>
void serialize(Archive& ar, runner::TrainingStateV1& v1, const unsigned /*version*/) {
  runner::TrainingState& s = v1.state;
  ar& s.config_hash& s.epoch& s.step& s.loss_sum& v1.correct& s.seen& s.epoch_seconds;
  ar& s.params& s.iterations& s.learning_rate& s.slots& s.history& s.callbacks;
}

template <class Archive>
void serialize(Archive& ar, runner::TrainingState& s, const unsigned /*version*/) {
  ar& s.config_hash& s.epoch& s.step& s.loss_sum& s.metric_sums& s.seen& s.epoch_seconds;
  ar& s.params& s.iterations& s.learning_rate& s.slots& s.history& s.callbacks;
}

}  // namespace boost::serialization

namespace runner {

namespace {
constexpr const char* kMagic = "runner-training-state";
}

void save_training_state(const std::filesystem::path& path, const TrainingState& state) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw Error(
          fmt::format("{}: cannot write the training state: {}", path.string(), os_reason()));
    }
    {
      boost::archive::binary_oarchive archive(out);
      const std::string magic = kMagic;
      const unsigned version = TrainingState::kVersion;
      archive << magic << version << state;
    }
    out.flush();
    if (!out) {
      throw Error(
          fmt::format("{}: cannot write the training state: {}", path.string(), os_reason()));
    }
  });
}

TrainingState load_training_state(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw CheckpointError(fmt::format("{}: no training state to resume from", path.string()));
  }
  TrainingState state;
  try {
    boost::archive::binary_iarchive archive(in);
    std::string magic;
    unsigned version = 0;
    archive >> magic;
    if (magic != kMagic) {
      throw CheckpointError(fmt::format("{}: not a runner training state", path.string()));
    }
    archive >> version;
    if (version == 1) {  // before metric sums: an accuracy count, the only metric then
      runner::TrainingStateV1 old;
      archive >> old;
      state = std::move(old.state);
      state.metric_sums = {static_cast<double>(old.correct), static_cast<double>(state.seen)};
      return state;
    }
    if (version != TrainingState::kVersion) {
      throw CheckpointError(
          fmt::format("{}: training state version {}, this runner reads version {}", path.string(),
                      version, TrainingState::kVersion));
    }
    archive >> state;
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& e) {
    throw CheckpointError(fmt::format("{}: unreadable training state (truncated or corrupt): {}",
                                      path.string(), e.what()));
  }
  return state;
}

}  // namespace runner
