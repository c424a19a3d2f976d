#include <doctest/doctest.h>

#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <filesystem>
#include <fstream>

#include "framework/core/errors.hpp"
#include "framework/train/training_state.hpp"
#include "tests/support/run_cli.hpp"

// Version 2's element types, as that version wrote them (their own types here, so this file does
// not define the library's serializers a second time).
namespace runner::test {
struct OldEpoch {
  std::int64_t epoch = 0;
  std::vector<std::pair<std::string, double>> logs;
  double seconds = 0;
};
struct OldCallback {
  std::map<std::string, double> numbers;
  std::map<std::string, std::vector<float>> arrays;
};
struct OldState {
  TrainingState s;
  std::vector<OldEpoch> history;
  std::vector<OldCallback> callbacks;
};
}  // namespace runner::test

namespace boost::serialization {
template <class Archive>
void serialize(Archive& ar, runner::test::OldEpoch& s, const unsigned /*version*/) {
  ar& s.epoch& s.logs& s.seconds;
}
template <class Archive>
void serialize(Archive& ar, runner::test::OldCallback& s, const unsigned /*version*/) {
  ar& s.numbers& s.arrays;
}
template <class Archive>
void serialize(Archive& ar, runner::test::OldState& old, const unsigned /*version*/) {
  runner::TrainingState& s = old.s;
  ar& s.config_hash& s.epoch& s.step& s.loss_sum& s.metric_sums& s.seen& s.epoch_seconds;
  ar& s.params& s.iterations& s.learning_rate& s.slots& old.history& old.callbacks;
}
}  // namespace boost::serialization

namespace runner::test {

namespace {
// Two finished epochs and one step of the third.
TrainingState two_epochs_and_a_step() {
  TrainingState s;
  s.config_hash = "abc";
  s.epoch = 2;
  s.step = 1;
  s.loss_sum = 1.5;
  s.metric_sums = {20, 32};
  s.seen = 32;
  s.epoch_seconds = 0.25;
  s.params = {1, 2, 3, 4};
  s.iterations = 9;
  s.learning_rate = 0.001;
  s.slots["m"] = {0.1F, 0.2F, 0.3F, 0.4F};
  s.history = {{1, {{"loss", 0.9}}, 1.0}, {2, {{"loss", 0.7}}, 1.0}};
  s.callbacks.emplace_back().numbers["wait"] = 1;
  s.callbacks.back().arrays["best_weights"] = {1, 2, 3, 4};
  return s;
}

std::string bytes_of(const std::filesystem::path& path) {
  return slurp(path);
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}
}  // namespace

TEST_SUITE("train") {
  TEST_CASE("A training state reads back as it was saved") {
    TempDir dir;
    const TrainingState s = two_epochs_and_a_step();
    save_training_state(dir / "state.bin", s);
    const TrainingState back = load_training_state(dir / "state.bin");
    CHECK(back.config_hash == s.config_hash);
    CHECK(back.epoch == 2);
    CHECK(back.step == 1);
    CHECK(back.metric_sums == s.metric_sums);
    CHECK(back.params == s.params);
    CHECK(back.slots == s.slots);
    CHECK(back.history.size() == 2);
    CHECK(back.callbacks[0].arrays == s.callbacks[0].arrays);
    CHECK_FALSE(back.weights_in_checkpoint);
  }

  TEST_CASE("One changed byte anywhere in a training state is refused by its checksum") {
    TempDir dir;
    save_training_state(dir / "state.bin", two_epochs_and_a_step());
    const std::string good = bytes_of(dir / "state.bin");
    for (const std::size_t at : {good.size() / 2, good.size() - 30, good.size() - 1}) {
      CAPTURE(at);
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] ^ 0x10);
      write_bytes(dir / "state.bin", bad);
      CHECK_THROWS_WITH_AS(load_training_state(dir / "state.bin"),
                           ((dir / "state.bin").string() +
                            ": damaged training state (its checksum does not match its "
                            "contents); it cannot be resumed")
                               .c_str(),
                           CheckpointError);
    }
  }

  TEST_CASE("A training state whose fields contradict each other is refused") {
    TempDir dir;
    const auto path = dir / "state.bin";
    TrainingState epoch = two_epochs_and_a_step();
    epoch.epoch = 100;  // "finished" with two epochs of history
    save_training_state(path, epoch);
    CHECK_THROWS_WITH_AS(
        load_training_state(path),
        (path.string() + ": damaged training state (epoch 100 with 2 finished epoch(s) in its "
                         "history, the last numbered 2); it cannot be resumed")
            .c_str(),
        CheckpointError);
    TrainingState no_samples = two_epochs_and_a_step();
    no_samples.seen = 0;  // sums over no samples would divide by zero (an accuracy of 2.78)
    save_training_state(path, no_samples);
    CHECK_THROWS_WITH_AS(
        load_training_state(path),
        (path.string() + ": damaged training state (running sums of an epoch with no samples "
                         "seen); it cannot be resumed")
            .c_str(),
        CheckpointError);
    no_samples.loss_sum = 0;
    no_samples.metric_sums = {0, 0};
    save_training_state(path, no_samples);
    CHECK_THROWS_WITH_AS(
        load_training_state(path),
        (path.string() + ": damaged training state (1 step(s) of the unfinished epoch done "
                         "with 0 samples seen); it cannot be resumed")
            .c_str(),
        CheckpointError);
    TrainingState negative = two_epochs_and_a_step();
    negative.iterations = -1;
    save_training_state(path, negative);
    CHECK_THROWS_AS(load_training_state(path), CheckpointError);
  }

  TEST_CASE("A finished run's compacted state keeps its history and drops the weights") {
    TempDir dir;
    const auto path = dir / "state.bin";
    TrainingState s = two_epochs_and_a_step();
    s.step = 0;  // at the end of an epoch: nothing of the next one done
    s.seen = 0;
    s.loss_sum = 0;
    s.metric_sums = {0, 0};
    s.params.assign(100000, 0.5F);
    s.slots["m"].assign(100000, 0.25F);
    save_training_state(path, s);
    const auto full = std::filesystem::file_size(path);
    compact_finished_state(path);
    CHECK(std::filesystem::file_size(path) * 100 < full);
    const TrainingState lean = load_training_state(path);
    CHECK(lean.weights_in_checkpoint);
    CHECK(lean.params.empty());
    CHECK(lean.slots.empty());
    REQUIRE(lean.callbacks.size() == 1);  // one per callback, each to start afresh
    CHECK(lean.callbacks[0].arrays.empty());
    CHECK(lean.callbacks[0].numbers.empty());
    CHECK(lean.history.size() == 2);
    CHECK(lean.iterations == 9);
  }

  TEST_CASE("A version-2 training state (before the checksum) still reads") {
    TempDir dir;
    const TrainingState s = two_epochs_and_a_step();
    {
      // Version 2's layout, field by field.
      std::ofstream out(dir / "state.bin", std::ios::binary);
      boost::archive::binary_oarchive archive(out);
      const std::string magic = "runner-training-state";
      const unsigned version = 2;
      OldState old{s, {}, {}};
      for (const auto& e : s.history) {
        old.history.push_back({e.epoch, e.logs, e.seconds});
      }
      for (const auto& c : s.callbacks) {
        old.callbacks.push_back({c.numbers, c.arrays});
      }
      archive << magic << version << old;
    }
    const TrainingState back = load_training_state(dir / "state.bin");
    CHECK(back.params == s.params);
    CHECK(back.slots == s.slots);
    REQUIRE(back.history.size() == 2);
    CHECK(back.history[1].logs == s.history[1].logs);
    REQUIRE(back.callbacks.size() == 1);
    CHECK(back.callbacks[0].arrays == s.callbacks[0].arrays);
    CHECK_FALSE(back.weights_in_checkpoint);
  }
}

}  // namespace runner::test
