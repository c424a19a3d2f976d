#include <doctest/doctest.h>

#include "framework/run_store.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
std::string line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(prefix)) {
      return line;
    }
  }
  return "";
}
}  // namespace

TEST_SUITE("cli") {
  TEST_CASE("runner trains a tiny experiment and leaves a complete run folder") {
    TempDir results;
    const CliResult r =
        run_cli("tests/fixtures/tiny.yaml --set results_dir=" + results.path().string());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("Total params: 12,770") != std::string::npos);
    CHECK(r.out.find("Epoch 1/2\n6/6 [==============================] - ") != std::string::npos);
    CHECK(r.out.find(" - loss: ") != std::string::npos);
    CHECK(r.out.find(" - val_accuracy: ") != std::string::npos);
    CHECK(r.out.find("predict test[3]: ") != std::string::npos);
    const auto run = only_run(results.path(), "tiny");
    CHECK(r.out.find("run folder: " + run.string() + "/") != std::string::npos);
    for (const char* file : {"config.yaml", "history.csv", "results.h5", "model-final.h5",
                             "summary.json", "log.csv", "best-01.h5"}) {
      CAPTURE(file);
      CHECK(std::filesystem::exists(run / file));
    }
    const std::string history = slurp(run / "history.csv");
    CHECK(
        history.starts_with("epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds\n1,"));
    CHECK(slurp(run / "summary.json").find("\"evaluation\": {\"validation\": {\"loss\": ") !=
          std::string::npos);
    for (const auto& entry : std::filesystem::directory_iterator(run)) {
      CHECK(entry.path().string().find(".tmp") == std::string::npos);
    }

    SUBCASE("evaluate reproduces the run's test numbers from the files alone") {
      const CliResult ev = run_cli("evaluate " + run.string() + " --split test");
      INFO(ev.err);
      REQUIRE(ev.exit_code == 0);
      const std::string reported = line_starting(r.out, "test:");
      REQUIRE_FALSE(reported.empty());
      CHECK(line_starting(ev.out, "test: ") == "test: " + reported.substr(reported.find("loss")));
    }
    SUBCASE("predict prints every class probability and the class") {
      const CliResult p = run_cli("predict " + run.string() + " --split test --index 3");
      REQUIRE(p.exit_code == 0);
      CHECK(p.out.find("  Ankle boot   ") != std::string::npos);
      const std::string cls = line_starting(p.out, "class: ");
      CHECK_FALSE(cls.empty());
      const std::string predicted = line_starting(r.out, "predict test[3]: ");
      CHECK(predicted.substr(17, predicted.find(" (p=") - 17) ==
            cls.substr(7, cls.find(" (p=") - 7));
    }
  }

  TEST_CASE("The same config gives the same numbers on 1 and 2 threads") {
    TempDir a;
    TempDir b;
    REQUIRE(
        run_cli("tests/fixtures/tiny.yaml -q --threads 1 --set results_dir=" + a.path().string())
            .exit_code == 0);
    REQUIRE(
        run_cli("tests/fixtures/tiny.yaml -q --threads 2 --set results_dir=" + b.path().string())
            .exit_code == 0);
    CHECK(history_without_seconds(only_run(a.path(), "tiny")) ==
          history_without_seconds(only_run(b.path(), "tiny")));
  }

  TEST_CASE("runner summary prints the reference model's table") {
    const CliResult r = run_cli("summary experiments/cnn.yaml");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(" max_pooling2d (MaxPooling2D  (None, 14, 14, 32)       0         \n") !=
          std::string::npos);
    CHECK(r.out.find("Total params: 333,526\n") != std::string::npos);
  }

  TEST_CASE("A bad experiment file exits 2 with every problem and writes nothing") {
    TempDir results;
    const CliResult r = run_cli(
        "tests/fixtures/many_errors.yaml --set results_dir=" + results.path().string() + "/out");
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(r.err.starts_with("error: tests/fixtures/many_errors.yaml:1:7: name: "));
    CHECK(r.err.find("tests/fixtures/many_errors.yaml:17:12: callbacks[0].type: unknown callback "
                     "'EarlyStoping'") != std::string::npos);
    CHECK(r.err.find("terminate") == std::string::npos);
    CHECK_FALSE(std::filesystem::exists(results.path() / "out"));
  }

  TEST_CASE("Bad command lines exit 2 with a clear message") {
    const CliResult unknown = run_cli("trian experiments/cnn.yaml");
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.starts_with("error: unknown command 'trian'"));
    const CliResult flag = run_cli("summary experiments/cnn.yaml --thread 2");
    CHECK(flag.exit_code == 2);
    CHECK(flag.err.starts_with("error: runner summary: unrecognised option '--thread'"));
    const CliResult set = run_cli("summary experiments/cnn.yaml --set fit.epochs=-3");
    CHECK(set.exit_code == 2);
    CHECK(set.err ==
          "error: --set fit.epochs=-3: fit.epochs: expected a positive integer, got -3\n");
    const CliResult none = run_cli("");
    CHECK(none.exit_code == 2);
    CHECK(none.err.starts_with("error: no experiment given\nusage: runner EXPERIMENT.yaml"));
  }

  TEST_CASE("evaluate and predict on missing or broken files exit 1 with the file named") {
    TempDir dir;
    const CliResult missing = run_cli("evaluate " + (dir / "nope.h5").string());
    CHECK(missing.exit_code == 1);
    CHECK(missing.err ==
          "error: " + (dir / "nope.h5").string() + ": no such run folder or checkpoint file\n");
    std::ofstream(dir / "junk.h5") << "junk";
    const CliResult junk = run_cli("predict " + (dir / "junk.h5").string());
    CHECK(junk.exit_code == 1);
    CHECK(junk.err ==
          "error: " + (dir / "junk.h5").string() + ": not an HDF5 file (or truncated)\n");
    const CliResult not_run = run_cli("evaluate " + dir.path().string());
    CHECK(not_run.exit_code == 1);
    CHECK(not_run.err == "error: " + dir.path().string() +
                             ": not a finished run folder (config.yaml is missing)\n");
  }

  TEST_CASE("evaluate works directly on Keras' own checkpoint") {
    const CliResult r = run_cli(
        "evaluate " + (shared_dir() / "reference/keras/best-cnn-model-keras-2.11.h5").string());
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(line_starting(r.out, "test:") == "test: loss 0.2363 - accuracy 0.9168");
  }
}

}  // namespace runner::test
