#include <doctest/doctest.h>
#include <fmt/format.h>

#include <csignal>
#include <fstream>

#include "framework/io/checkpoint.hpp"
#include "framework/train/training_state.hpp"
#include "tests/support/final_weights.hpp"
#include "tests/support/layer_checks.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
const std::string kTiny = "tests/fixtures/tiny.yaml -q --set fit.epochs=3 --set results_dir=";
}  // namespace

TEST_SUITE("slow/resume") {
  TEST_CASE("An interrupted run resumes to the same history and weights bit for bit") {
    TempDir reference;
    REQUIRE(run_cli(kTiny + reference.path().string()).exit_code == 0);
    const auto expected_run = only_run(reference.path(), "tiny");
    struct Fault {
      int step;  // global step (6 per epoch)
      const char* signal;
      int exit_code;  // the shell reports 128 + signal for SIGKILL
    };
    for (const Fault f : {Fault{2, "INT", 130}, Fault{9, "TERM", 143}, Fault{9, "KILL", 137},
                          Fault{11, "INT", 130}, Fault{14, "KILL", 137}}) {
      CAPTURE(f.step);
      const std::string signal = f.signal;
      CAPTURE(signal);
      TempDir results;
      const CliResult cut =
          run_cli(fmt::format("RUNNER_TEST_SIGNAL_AT_STEP={}:{}", f.step, f.signal),
                  kTiny + results.path().string());
      CHECK(cut.exit_code == f.exit_code);
      const auto run = only_run(results.path(), "tiny");
      CHECK_FALSE(std::filesystem::exists(run / "summary.json"));
      if (std::string(f.signal) != "KILL") {
        CHECK(cut.err.find("the run's state is saved: continue with 'runner resume") !=
              std::string::npos);
      }
      const CliResult resumed = run_cli("resume -q " + run.string());
      INFO(resumed.err);
      REQUIRE(resumed.exit_code == 0);
      CHECK(history_without_seconds(run) == history_without_seconds(expected_run));
      CHECK(bitwise_equal(final_weights(run), final_weights(expected_run)));
      CHECK(slurp(run / "log.csv") == slurp(expected_run / "log.csv"));
    }
  }

  TEST_CASE("A run interrupted in its first epoch is interrupted for compare and report") {
    TempDir results;
    const CliResult cut =
        run_cli("RUNNER_TEST_SIGNAL_AT_STEP=2:INT", kTiny + results.path().string());
    REQUIRE(cut.exit_code == 130);
    const auto run = only_run(results.path(), "tiny");
    REQUIRE_FALSE(std::filesystem::exists(run / "history.csv"));  // no epoch finished
    const CliResult compared = run_cli("compare " + results.path().string());
    INFO(compared.err);
    CHECK(compared.exit_code == 0);
    CHECK(compared.out.find(" interrupted ") != std::string::npos);
    CHECK(compared.out.find("broken") == std::string::npos);
    const CliResult reported = run_cli("report " + run.string());
    INFO(reported.err);
    CHECK(reported.exit_code == 0);
    CHECK(slurp(run / "report.html").find("runner resume " + run.string()) != std::string::npos);
  }

  TEST_CASE("SIGTERM from another process at any moment of training stops it cleanly") {
    // A signal handler interrupting the GEMMs once corrupted the heap in about 1 of 4 such
    // signals (glibc abort, no saved state); the moments here are spread over two epochs.
    for (const double seconds : {1.1, 1.6, 2.1, 2.6, 3.1}) {
      CAPTURE(seconds);
      TempDir dir;
      const std::string command = fmt::format(
          "({} experiments/cnn.yaml --quiet --threads 1 --set data.limit=6000 --set "
          "fit.epochs=30 --set results_dir={} >{} 2>{} </dev/null & pid=$!; {}sleep {}; "
          "kill -TERM $pid; wait $pid; echo $? >{})",
          RUNNER_BINARY, (dir / "results").string(), (dir / "out").string(), (dir / "err").string(),
          shell_wait_until_blocked(SIGTERM), seconds, (dir / "rc").string());
      REQUIRE(std::system(command.c_str()) == 0);
      const std::string err = slurp(dir / "err");
      INFO(err);
      CHECK(slurp(dir / "rc") == "143\n");
      if (err == "runner: interrupted by SIGTERM\n") {
        continue;  // still loading the data: ended at once, nothing to resume yet
      }
      CHECK(err.starts_with("runner: interrupted by SIGTERM at epoch "));
      CHECK(std::filesystem::exists(only_run(dir / "results", "fashion-cnn") / "state.bin"));
    }
  }

  TEST_CASE("resume --epochs continues a finished run as if it had been asked for more epochs") {
    // Epochs are shuffled by their number and dropout keyed by the step, so 3 epochs and then 2
    // more give the history and weights of 5 in one go (EarlyStopping restores nothing: the
    // validation loss improves every epoch here).
    TempDir five;
    REQUIRE(run_cli("tests/fixtures/tiny.yaml -q --set fit.epochs=5 --set results_dir=" +
                    five.path().string())
                .exit_code == 0);
    const auto expected_run = only_run(five.path(), "tiny");
    TempDir results;
    REQUIRE(run_cli(kTiny + results.path().string()).exit_code == 0);
    const auto run = only_run(results.path(), "tiny");
    // Finished, the state keeps no weights: model-final.h5 holds them and the optimizer's.
    CHECK(std::filesystem::file_size(run / "state.bin") < 4096);
    CHECK(load_training_state(run / "state.bin").weights_in_checkpoint);
    const CliResult too_few = run_cli("resume -q " + run.string() + " --epochs 3");
    CHECK(too_few.exit_code == 2);
    CHECK(too_few.err ==
          "error: --epochs 3: the run has done 3 epochs; --epochs is the total to reach (as "
          "Keras' fit(epochs=...)), so it must be at least 4\n");
    // With a trailing slash, as a shell completes a folder: the run id is still the folder's.
    const CliResult longer = run_cli("resume -q " + run.string() + "/ --epochs 5");
    INFO(longer.err);
    REQUIRE(longer.exit_code == 0);
    CHECK(slurp(run / "summary.json").find("\"run_id\": \"" + run.filename().string() + "\"") !=
          std::string::npos);
    CHECK(history_without_seconds(run) == history_without_seconds(expected_run));
    CHECK(bitwise_equal(final_weights(run), final_weights(expected_run)));
    CHECK(slurp(run / "log.csv") == slurp(expected_run / "log.csv"));
    CHECK(std::filesystem::exists(run / "summary.json"));
    const std::string config = slurp(run / "config.yaml");
    CHECK(config.find("  epochs: 5\n") != std::string::npos);
    CHECK(config.find("  - fit.epochs=5\n") != std::string::npos);
    // A second continuation goes on from there.
    REQUIRE(run_cli("resume -q " + run.string() + " --epochs 6").exit_code == 0);
    CHECK(slurp(run / "history.csv").find("\n6,") != std::string::npos);
  }

  TEST_CASE("resume refuses finished runs and damaged states with a clear message") {
    TempDir results;
    REQUIRE(run_cli(kTiny + results.path().string()).exit_code == 0);
    const auto run = only_run(results.path(), "tiny");
    const CliResult finished = run_cli("resume " + run.string());
    CHECK(finished.exit_code == 1);
    CHECK(finished.err == "error: " + run.string() +
                              ": this run has finished; to train it further: runner resume " +
                              run.string() + " --epochs N\n");
    // Without model-final.h5 a finished run cannot go on: its weights are kept there.
    const auto final_model = run / "model-final.h5";
    std::filesystem::rename(final_model, run / "elsewhere.h5");
    const CliResult no_final = run_cli("resume " + run.string() + " --epochs 4");
    CHECK(no_final.exit_code == 1);
    CHECK(no_final.err == "error: " + final_model.string() +
                              ": missing; a finished run continues from its final weights and "
                              "optimizer state, which are kept there\n");
    std::filesystem::rename(run / "elsewhere.h5", final_model);
    std::filesystem::remove(run / "summary.json");
    std::filesystem::resize_file(run / "state.bin", 100);
    const CliResult damaged = run_cli("resume " + run.string());
    CHECK(damaged.exit_code == 1);
    CHECK(damaged.err == "error: " + (run / "state.bin").string() +
                             ": damaged training state (its checksum does not match its "
                             "contents); it cannot be resumed\n");
    std::ofstream(run / "state.bin") << "junk";
    const CliResult junk = run_cli("resume " + run.string());
    CHECK(junk.exit_code == 1);
    CHECK(junk.err.starts_with("error: " + (run / "state.bin").string() +
                               ": unreadable training state (truncated or corrupt)"));
  }
}

}  // namespace runner::test
