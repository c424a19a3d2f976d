#include "framework/train/training_state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/crc.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"

namespace runner {
namespace {
// A version-1 state.bin: the accuracy count where metric_sums is now.
struct TrainingStateV1 {
  TrainingState state;
  std::int64_t correct = 0;
};
// A version-2 state.bin: no weights_in_checkpoint (and no checksum).
struct TrainingStateV2 {
  TrainingState state;
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
void serialize(Archive& ar, runner::TrainingStateV2& v2, const unsigned /*version*/) {
  runner::TrainingState& s = v2.state;
  ar& s.config_hash& s.epoch& s.step& s.loss_sum& s.metric_sums& s.seen& s.epoch_seconds;
  ar& s.params& s.iterations& s.learning_rate& s.slots& s.history& s.callbacks;
}

template <class Archive>
void serialize(Archive& ar, runner::TrainingState& s, const unsigned /*version*/) {
  ar& s.config_hash& s.epoch& s.step& s.loss_sum& s.metric_sums& s.seen& s.epoch_seconds;
  ar& s.params& s.iterations& s.learning_rate& s.slots& s.history& s.callbacks;
  ar& s.weights_in_checkpoint;
}

}  // namespace boost::serialization

namespace runner {

namespace {
constexpr const char* kMagic = "runner-training-state";
constexpr std::size_t kChecksumBytes = 4;

std::uint32_t crc32_of(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

// Fields that contradict each other or cannot be: a state that passes its checksum but was
// written wrong, or a version-1/2 file (no checksum) that was damaged.
void check_fields(const TrainingState& s, const std::filesystem::path& path) {
  auto fail = [&](const std::string& what) {
    throw CheckpointError(
        fmt::format("{}: damaged training state ({}); it cannot be resumed", path.string(), what));
  };
  if (s.epoch < 0 || s.step < 0 || s.seen < 0 || s.iterations < 0) {
    fail(fmt::format("negative count: epoch {}, step {}, samples {}, iterations {}", s.epoch,
                     s.step, s.seen, s.iterations));
  }
  if (s.history.size() > static_cast<std::size_t>(s.epoch) ||
      (!s.history.empty() && s.history.back().epoch != s.epoch)) {
    fail(fmt::format("epoch {} with {} finished epoch(s) in its history, the last numbered {}",
                     s.epoch, s.history.size(), s.history.empty() ? 0 : s.history.back().epoch));
  }
  const bool sums_empty = s.loss_sum == 0 && std::all_of(s.metric_sums.begin(), s.metric_sums.end(),
                                                         [](double v) { return v == 0; });
  if (s.seen == 0 && !sums_empty) {
    fail("running sums of an epoch with no samples seen");
  }
  if ((s.step == 0) != (s.seen == 0)) {
    fail(fmt::format("{} step(s) of the unfinished epoch done with {} samples seen", s.step,
                     s.seen));
  }
  if (!std::isfinite(s.learning_rate) || s.learning_rate < 0 || !std::isfinite(s.epoch_seconds) ||
      s.epoch_seconds < 0) {
    fail(fmt::format("learning rate {} and epoch seconds {}", s.learning_rate, s.epoch_seconds));
  }
  if (!s.weights_in_checkpoint && s.params.empty()) {
    fail("no weights");
  }
}
}  // namespace

void save_training_state(const std::filesystem::path& path, const TrainingState& state) {
  std::ostringstream archived;
  {
    boost::archive::binary_oarchive archive(archived);
    const std::string magic = kMagic;
    const unsigned version = TrainingState::kVersion;
    archive << magic << version << state;
  }
  std::string bytes = std::move(archived).str();
  // A CRC-32 of everything before it, little-endian: one flipped bit is refused on load.
  const std::uint32_t crc = crc32_of(bytes);
  for (std::size_t i = 0; i < kChecksumBytes; ++i) {
    bytes.push_back(static_cast<char>((crc >> (8 * i)) & 0xFFU));
  }
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    errno = 0;
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw Error(
          fmt::format("{}: cannot write the training state: {}", path.string(), os_reason()));
    }
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      throw Error(
          fmt::format("{}: cannot write the training state: {}", path.string(), os_reason()));
    }
  });
}

TrainingState load_training_state(const std::filesystem::path& path) {
  errno = 0;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw CheckpointError(
        fmt::format("{}: no training state to resume from: {}", path.string(), os_reason()));
  }
  const std::string bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  if (file.bad()) {
    throw CheckpointError(
        fmt::format("{}: cannot read the training state: {}", path.string(), os_reason()));
  }
  TrainingState state;
  try {
    std::istringstream in(bytes);
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
    } else if (version == 2) {
      runner::TrainingStateV2 old;
      archive >> old;
      state = std::move(old.state);
    } else if (version == TrainingState::kVersion) {
      // The magic and version were read, so the file is longer than its checksum.
      const std::string_view body(bytes.data(), bytes.size() - kChecksumBytes);
      std::uint32_t saved = 0;
      for (std::size_t i = 0; i < kChecksumBytes; ++i) {
        saved |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[body.size() + i]))
                 << (8 * i);
      }
      if (crc32_of(body) != saved) {
        throw CheckpointError(fmt::format(
            "{}: damaged training state (its checksum does not match its contents); it cannot "
            "be resumed",
            path.string()));
      }
      archive >> state;
    } else {
      throw CheckpointError(
          fmt::format("{}: training state version {}, this runner reads version {}", path.string(),
                      version, TrainingState::kVersion));
    }
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& e) {
    throw CheckpointError(fmt::format("{}: unreadable training state (truncated or corrupt): {}",
                                      path.string(), e.what()));
  }
  check_fields(state, path);
  return state;
}

void compact_finished_state(const std::filesystem::path& path) {
  TrainingState state = load_training_state(path);
  state.params = {};
  state.slots.clear();
  for (CallbackState& callback : state.callbacks) {
    callback = CallbackState{};
  }
  state.weights_in_checkpoint = true;
  save_training_state(path, state);
}

}  // namespace runner
