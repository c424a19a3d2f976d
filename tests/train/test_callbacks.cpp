#include <doctest/doctest.h>

#include <cmath>
#include <fstream>

#include "framework/core/errors.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/train/callbacks/callback.hpp"
#include "framework/train/optimizers/optimizer.hpp"
#include "tests/support/make_layer.hpp"
#include "tests/support/run_cli.hpp"
#include "tests/support/tmpdir.hpp"

namespace runner::test {

namespace {
std::unique_ptr<Callback> make_callback(const std::string& yaml) {
  Diagnostics diag("test");
  Spec spec(load_yaml_string(yaml, "test"), "callbacks[0]", diag, 0, 0);
  auto cb = callback_registry().create(spec);
  diag.throw_if_any();
  return cb;
}

// Drives one callback through a scripted history. Each epoch the model's single weight is set
// to the epoch number, so restored weights tell which epoch they came from.
struct Script {
  Model model = make_layer_model("{type: Dense, units: 1, use_bias: false}", Shape{1}, 1);
  std::unique_ptr<Optimizer> optimizer;
  TrainContext ctx;
  std::vector<std::string> messages;
  std::vector<std::filesystem::path> saved;
  History history;

  Script() {
    Diagnostics diag("test");
    optimizer = optimizer_registry().create(Spec(YAML::Node("adam"), "o", diag, 0, 0));
    ctx.model = &model;
    ctx.optimizer = optimizer.get();
    ctx.history = &history;
    ctx.message = [this](const std::string& m) { messages.push_back(m); };
    ctx.save_checkpoint = [this](const std::filesystem::path& p, bool) { saved.push_back(p); };
  }

  // Returns the number of epochs run before the callback stopped training.
  int run(Callback& cb, const std::vector<double>& values, const std::string& key = "val_loss") {
    cb.on_train_begin(ctx);
    int epochs = 0;
    for (std::size_t e = 0; e < values.size() && !ctx.stop_training; ++e) {
      model.parameters()[0] = static_cast<float>(e);
      Logs logs;
      logs.set(key, values[e]);
      cb.on_epoch_end(static_cast<std::int64_t>(e), logs, ctx);
      ++epochs;
    }
    cb.on_train_end(ctx);
    return epochs;
  }
  float weight() { return model.parameters()[0]; }
};
}  // namespace

TEST_SUITE("callbacks") {
  TEST_CASE("EarlyStopping counts epochs without improvement up to patience") {
    Script s;
    auto cb = make_callback("{type: EarlyStopping, patience: 2, restore_best_weights: true}");
    // best at epoch 2 (0.9); epochs 3 and 4 do not improve -> stop after epoch 4
    CHECK(s.run(*cb, {1.0, 0.95, 0.9, 0.92, 0.91, 0.5}) == 5);
    CHECK(s.ctx.stop_training);
    CHECK(s.weight() == 2.0F);  // restored from the best epoch (0-based 2)
    CHECK(s.ctx.restored_note == "restored weights from epoch 3 (val_loss 0.9000)");
  }

  TEST_CASE("EarlyStopping restores only when it stops training") {
    Script s;
    auto cb = make_callback("{type: EarlyStopping, patience: 3, restore_best_weights: true}");
    CHECK(s.run(*cb, {1.0, 0.8, 0.9, 0.95}) == 4);
    CHECK_FALSE(s.ctx.stop_training);
    CHECK(s.weight() == 3.0F);  // the last epoch's weights stay, as in Keras
  }

  TEST_CASE("EarlyStopping honours min_delta and mode max and start_from_epoch") {
    Script a;
    auto by_delta = make_callback("{type: EarlyStopping, patience: 1, min_delta: 0.1}");
    CHECK(a.run(*by_delta, {1.0, 0.95, 0.5}) == 2);  // 0.95 is not 0.1 better than 1.0
    Script b;
    auto acc = make_callback("{type: EarlyStopping, monitor: val_accuracy, patience: 1}");
    CHECK(b.run(*acc, {0.5, 0.6, 0.7, 0.65, 0.8}, "val_accuracy") == 4);  // auto mode: max
    Script c;
    auto late = make_callback("{type: EarlyStopping, patience: 1, start_from_epoch: 3}");
    CHECK(c.run(*late, {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}) == 5);
  }

  TEST_CASE("EarlyStopping with patience 0 stops even on an improving epoch as Keras 2.11 does") {
    // keras-team/keras#17305: wait resets to 0, then `wait >= patience` holds.
    Script s;
    auto cb = make_callback("{type: EarlyStopping, patience: 0}");
    CHECK(s.run(*cb, {1.0, 0.9, 0.8}) == 2);
  }

  TEST_CASE("EarlyStopping with a baseline that is never reached stops after patience") {
    Script s;
    auto cb = make_callback("{type: EarlyStopping, patience: 2, baseline: 0.5}");
    CHECK(s.run(*cb, {0.9, 0.8, 0.7, 0.6}) == 2);
  }

  TEST_CASE("ModelCheckpoint with save_best_only writes on strict improvements only") {
    Script s;
    s.ctx.run_dir = "run";
    auto cb = make_callback(
        "{type: ModelCheckpoint, filepath: 'best-{epoch:02d}-{val_loss:.2f}.h5', save_best_only: "
        "true}");
    s.run(*cb, {0.5, 0.4, 0.4, 0.45, 0.3});
    CHECK(s.saved == std::vector<std::filesystem::path>{
                         "run/best-01-0.50.h5", "run/best-02-0.40.h5", "run/best-05-0.30.h5"});
  }

  TEST_CASE("ModelCheckpoint without save_best_only writes every epoch") {
    Script s;
    auto cb = make_callback("{type: ModelCheckpoint, filepath: 'e{epoch}.h5'}");
    s.run(*cb, {0.5, 0.6});
    CHECK(s.saved == std::vector<std::filesystem::path>{"e1.h5", "e2.h5"});
  }

  TEST_CASE("ModelCheckpoint saves nothing until the monitor beats initial_value_threshold") {
    Script s;
    auto cb = make_callback(
        "{type: ModelCheckpoint, filepath: 'b{epoch}.h5', save_best_only: true, "
        "initial_value_threshold: 0.35}");
    s.run(*cb, {0.5, 0.4, 0.35, 0.3, 0.32});
    CHECK(s.saved == std::vector<std::filesystem::path>{"b4.h5"});
  }

  TEST_CASE("ModelCheckpoint with save_freq saves every N batches counted across epochs") {
    Script s;
    auto cb = make_callback(
        "{type: ModelCheckpoint, filepath: 'm-{epoch}-{batch}.h5', "
        "save_freq: 2}");
    cb->on_train_begin(s.ctx);
    for (std::int64_t epoch = 0; epoch < 2; ++epoch) {
      cb->on_epoch_begin(epoch, s.ctx);
      for (std::int64_t batch = 0; batch < 3; ++batch) {
        Logs logs;
        logs.set("loss", 1.0);
        cb->on_batch_end(batch, logs, s.ctx);
      }
      Logs logs;
      logs.set("val_loss", 0.5);
      cb->on_epoch_end(epoch, logs, s.ctx);  // no save at epoch ends
    }
    CHECK(s.saved == std::vector<std::filesystem::path>{"m-1-2.h5", "m-2-1.h5", "m-2-3.h5"});
    CHECK_THROWS_WITH_AS(
        make_callback("{type: ModelCheckpoint, filepath: m.h5, save_freq: 0}"),
        "test:1:52: callbacks[0].save_freq: expected \"epoch\" or a whole number of batches >= "
        "1, got 0",
        ConfigError);
  }

  TEST_CASE("ModelCheckpoint formats a percentage as Python does") {
    // python3 -c "print('{v:.2%}-{v:%}'.format(v=0.4))" prints 40.00%-40.000000%
    Script s;
    auto cb =
        make_callback("{type: ModelCheckpoint, filepath: 'm-{val_loss:.2%}-{val_loss:%}.h5'}");
    s.run(*cb, {0.4});
    CHECK(s.saved == std::vector<std::filesystem::path>{"m-40.00%-40.000000%.h5"});
  }

  TEST_CASE("ReduceLROnPlateau lowers the rate after patience and then cools down") {
    Script s;
    auto cb = make_callback(
        "{type: ReduceLROnPlateau, factor: 0.5, patience: 1, cooldown: 2, min_lr: 0.0002}");
    std::vector<double> lrs;
    cb->on_train_begin(s.ctx);
    const std::vector<double> losses{1.0, 1.0, 1.0, 1.0, 1.0, 1.0};
    for (std::size_t e = 0; e < losses.size(); ++e) {
      Logs logs;
      logs.set("val_loss", losses[e]);
      cb->on_epoch_end(static_cast<std::int64_t>(e), logs, s.ctx);
      lrs.push_back(s.optimizer->learning_rate());
    }
    // Keras counts the cooldown down before it checks: e1 reduces (cooldown 2), e2 is in
    // cooldown, e3 leaves it and reduces, e4 cools down, e5 reduces to min_lr.
    CHECK(lrs == std::vector<double>{0.001, 0.0005, 0.0005, 0.00025, 0.00025, 0.0002});
  }

  TEST_CASE("ReduceLROnPlateau refuses a factor >= 1") {
    CHECK_THROWS_WITH_AS(make_callback("{type: ReduceLROnPlateau, factor: 2}"),
                         "test:1:35: callbacks[0].factor: expected a number in (0, 1), got 2",
                         ConfigError);
  }

  TEST_CASE("CSVLogger writes Keras' file: 0-based epoch then sorted keys and Python's floats") {
    // What Keras 2.11 writes for these logs (csv excel dialect: CRLF; float32 values as Python
    // floats, lr as a NumPy float32): e.g. python3 -c "import numpy as np;
    // print(np.float32(0.4).item(), str(np.float32(0.001)))" prints 0.4000000059604645 0.001.
    TempDir dir;
    Script s;
    s.ctx.run_dir = dir.path();
    auto cb = make_callback("{type: CSVLogger, filename: log.csv}");
    cb->on_train_begin(s.ctx);
    for (int e = 0; e < 2; ++e) {
      Logs logs;
      logs.set("val_loss", 0.5 - 0.1 * e);
      logs.set("loss", 1.0 - 0.25 * e);
      logs.set("lr", e == 0 ? 0.001 : 1e-5);
      logs.set("accuracy", e == 0 ? std::nan("") : 1e16);
      cb->on_epoch_end(e, logs, s.ctx);
    }
    cb->on_train_end(s.ctx);
    std::ifstream in(dir / "log.csv", std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() ==
          "epoch,accuracy,loss,lr,val_loss\r\n"
          "0,nan,1.0,0.001,0.5\r\n"
          "1,1.0000000272564224e+16,0.75,1e-05,0.4000000059604645\r\n");
  }

  TEST_CASE(
      "A resumed CSVLogger rebuilds its file from the saved state and writes no epoch twice") {
    TempDir dir;
    Script s;
    s.ctx.run_dir = dir.path();
    auto epoch_logs = [](int e) {
      Logs logs;
      logs.set("loss", 1.0 / (e + 1));
      return logs;
    };
    auto first = make_callback("{type: CSVLogger, filename: log.csv}");
    first->on_train_begin(s.ctx);
    first->on_epoch_end(0, epoch_logs(0), s.ctx);
    CallbackState saved;  // state.bin after epoch 1
    first->save_state(saved);
    first->on_epoch_end(1, epoch_logs(1), s.ctx);  // then killed before the next state.bin
    // The resumed run repeats epoch 2 from the state of epoch 1.
    auto resumed = make_callback("{type: CSVLogger, filename: log.csv}");
    s.ctx.resuming = true;
    resumed->on_train_begin(s.ctx);
    resumed->load_state(saved);
    resumed->on_epoch_end(1, epoch_logs(1), s.ctx);
    resumed->on_epoch_end(2, epoch_logs(2), s.ctx);
    CHECK(slurp(dir / "log.csv") == "epoch,loss\r\n0,1.0\r\n1,0.5\r\n2,0.3333333432674408\r\n");
  }

  TEST_CASE("CSVLogger replaces a symlink in its place instead of writing through it") {
    TempDir dir;
    std::filesystem::create_directories(dir / "run");
    { std::ofstream(dir / "elsewhere.txt") << "keep me"; }
    std::filesystem::create_symlink(dir / "elsewhere.txt", dir / "run" / "log.csv");
    Script s;
    s.ctx.run_dir = dir / "run";
    auto cb = make_callback("{type: CSVLogger, filename: log.csv}");
    s.run(*cb, {0.5}, "loss");
    CHECK(slurp(dir / "elsewhere.txt") == "keep me");
    CHECK_FALSE(std::filesystem::is_symlink(dir / "run" / "log.csv"));
    CHECK(slurp(dir / "run" / "log.csv") == "epoch,loss\r\n0,0.5\r\n");
  }

  TEST_CASE("CSVLogger with append adds to what the file held and writes no second header") {
    TempDir dir;
    { std::ofstream(dir / "log.csv", std::ios::binary) << "epoch,loss\r\n0,0.9\r\n"; }
    Script s;
    s.ctx.run_dir = dir.path();
    auto cb = make_callback("{type: CSVLogger, filename: log.csv, append: true}");
    s.run(*cb, {0.5}, "loss");
    CHECK(slurp(dir / "log.csv") == "epoch,loss\r\n0,0.9\r\n0,0.5\r\n");
  }

  TEST_CASE("CSVLogger makes the subfolder its file name names") {
    TempDir dir;
    Script s;
    s.ctx.run_dir = dir.path();
    auto cb = make_callback("{type: CSVLogger, filename: logs/train.log}");
    s.run(*cb, {0.5}, "loss");
    CHECK(slurp(dir / "logs" / "train.log") == "epoch,loss\r\n0,0.5\r\n");
  }

  TEST_CASE("ModelCheckpoint refuses a format width longer than a file name") {
    CHECK_THROWS_WITH_AS(
        make_callback("{type: ModelCheckpoint, filepath: 'm-{epoch:9999999d}.h5'}"),
        doctest::Contains("'{epoch:9999999d}': a width or precision of 9999999 is longer than a "
                          "file name may be (at most 99)"),
        ConfigError);
    CHECK_NOTHROW(
        make_callback("{type: ModelCheckpoint, filepath: 'm-{epoch:03d}-{loss:.4f}.h5'}"));
  }

  TEST_CASE("TerminateOnNaN stops after a batch with a non-finite loss and says where") {
    Script s;
    auto cb = make_callback("TerminateOnNaN");
    cb->on_epoch_begin(2, s.ctx);
    Logs ok;
    ok.set("loss", 0.3);
    cb->on_batch_end(0, ok, s.ctx);
    CHECK_FALSE(s.ctx.stop_training);
    Logs bad;
    bad.set("loss", std::nan(""));
    cb->on_batch_end(4, bad, s.ctx);
    CHECK(s.ctx.stop_training);
    CHECK(s.messages ==
          std::vector<std::string>{"Epoch 3, batch 5: invalid loss (nan), terminating training"});
  }
}

}  // namespace runner::test
