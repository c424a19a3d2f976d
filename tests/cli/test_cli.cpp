#include <doctest/doctest.h>

#include <fstream>

#include "framework/io/run_store.hpp"
#include "tests/support/images.hpp"
#include "tests/support/run_cli.hpp"
#include "tests/support/skip.hpp"

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

TEST_SUITE("slow/cli") {
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
                             "summary.json", "log.csv", "best-01.h5", "model.png", "model.svg",
                             "loss.png", "accuracy.png", "prediction-test-3.png"}) {
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

    SUBCASE("the pictures are valid and show what they must") {
      for (const char* png : {"model.png", "loss.png", "accuracy.png", "prediction-test-3.png"}) {
        CAPTURE(png);
        CHECK(DecodedPng(slurp(run / png)).ok());
      }
      CHECK(DecodedPng(slurp(run / "loss.png")).count(kOrange) > 300);  // the validation line
      const std::string diagram = slurp(run / "model.svg");
      for (const char* layer :
           {">conv2d_input</text>", ">conv2d</text>", ">max_pooling2d</text>", ">flatten</text>",
            ">dense</text>", ">dropout</text>", ">dense_1</text>", ">(None, 28, 28, 4)</text>"}) {
        CAPTURE(layer);
        CHECK(diagram.find(layer) != std::string::npos);
      }
      CHECK(slurp(run / "summary.json").find("\"image\": \"prediction-test-3.png\"") !=
            std::string::npos);
    }
    SUBCASE("report writes one self-contained report.html into the run folder") {
      const CliResult rep = run_cli("report " + run.string());
      INFO(rep.err);
      REQUIRE(rep.exit_code == 0);
      CHECK(rep.out.starts_with("wrote " + (run / "report.html").string()));
      const std::string html = slurp(run / "report.html");
      CHECK(html.find("<title>tiny · " + run.filename().string() + "</title>") !=
            std::string::npos);
      CHECK(html.find(R"(alt="prediction-test-3" src="data:image/png;base64,)") !=
            std::string::npos);
      CHECK(html.find(R"(alt="model diagram" src="data:image/svg+xml;base64,)") !=
            std::string::npos);
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

  TEST_CASE("A learning rate ReduceLROnPlateau changes shows as lr where Keras shows it") {
    TempDir dir;
    {
      std::ofstream yaml(dir / "lr.yaml");
      yaml << "name: lr-logs\nseed: 7\n"
              "data: {limit: 256, test_limit: 64, validation_split: 0.25}\n"
              "model: {input_shape: [28, 28, 1], layers: [{type: Flatten}, "
              "{type: Dense, units: 10, activation: softmax}]}\n"
              "compile: {optimizer: {type: adam, learning_rate: 0.003}}\n"
              "fit: {epochs: 3, batch_size: 32}\n"
              "callbacks:\n"
              // min_delta 10: no epoch after the first improves, so each one halves the rate
              "  - {type: ReduceLROnPlateau, factor: 0.5, patience: 0, min_delta: 10}\n"
              "  - {type: CSVLogger, filename: log.csv}\n";
    }
    const CliResult r =
        run_cli((dir / "lr.yaml").string() + " -v --set results_dir=" + (dir / "results").string());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // The progress line and History carry the rate each epoch trained with (Keras' logs["lr"]).
    CHECK(count_of(r.out, " - lr: 0.0030\n") == 2);
    CHECK(count_of(r.out, " - lr: 0.0015\n") == 1);
    const auto run = only_run(dir / "results", "lr-logs");
    CHECK(slurp(run / "history.csv")
              .starts_with("epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,lr,seconds\n"));
    // CSVLogger's file is Keras' own: sorted keys, no runner-only column, CRLF, Python floats.
    const std::string log = slurp(run / "log.csv");
    CHECK(log.starts_with("epoch,accuracy,loss,lr,val_accuracy,val_loss\r\n0,"));
    CHECK(count_of(log, "\r\n") == 4);
    CHECK(count_of(log, ",0.003,") == 2);
    CHECK(count_of(log, ",0.0015,") == 1);
    CHECK(log.find("learning_rate") == std::string::npos);
  }

  TEST_CASE("ModelCheckpoint makes the subfolder it names and file errors say the OS reason") {
    TempDir results;
    const std::string base = "tests/fixtures/tiny.yaml -q --set fit.epochs=1 --set results_dir=" +
                             results.path().string();
    const CliResult saved =
        run_cli(base + " --set 'callbacks[1].filepath=checkpoints/m-{epoch:02d}.h5'");
    INFO(saved.err);
    CHECK(saved.exit_code == 0);
    CHECK(std::filesystem::exists(only_run(results.path(), "tiny") / "checkpoints" / "m-01.h5"));
    // CSVLogger makes its subfolder too.
    TempDir more;
    const CliResult logged = run_cli(
        "tests/fixtures/tiny.yaml -q --set fit.epochs=1 --set results_dir=" + more.path().string() +
        " --set callbacks[2].filename=logs/log.csv");
    CHECK(logged.exit_code == 0);
    CHECK(std::filesystem::exists(only_run(more.path(), "tiny") / "logs" / "log.csv"));
    // A folder the system refuses (nothing can be made in /proc): the error names the path and
    // what the operating system said.
    const CliResult log =
        run_cli(base + " --set callbacks[2].filename=/proc/runner-no-such-folder/log.csv");
    CHECK(log.exit_code == 1);
    CHECK(log.err ==
          "error: /proc/runner-no-such-folder: cannot create the folder: No such file or "
          "directory\n");
  }

  TEST_CASE("Callback messages come in Keras' words before the epoch's line") {
    TempDir results;
    const CliResult r = run_cli(
        "tests/fixtures/tiny.yaml -v --set callbacks[1].verbose=1 --set "
        "results_dir=" +
        results.path().string());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // Keras runs ProgbarLogger after the other callbacks: their messages, then the epoch line.
    const auto epoch = r.out.find("Epoch 1/2\n");
    const auto saved = r.out.find("Epoch 1: val_loss improved from inf to ");
    const auto line = r.out.find("6/6 [==============================] - ", epoch);
    REQUIRE(epoch != std::string::npos);
    REQUIRE(saved != std::string::npos);
    CHECK(epoch < saved);
    CHECK(saved < line);
    CHECK(r.out.find(", saving model to best-01.h5\n") != std::string::npos);
  }

  TEST_CASE("The progress bar redraws within a narrow terminal instead of stacking lines") {
    TempDir results;
    // script(1) gives runner a terminal of 60 columns.
    const CliResult r = run_shell(
        "script -qec \"stty cols 60; " + std::string(RUNNER_BINARY) +
        " tests/fixtures/tiny.yaml --set results_dir=" + results.path().string() + "\" /dev/null");
    REQUIRE(r.exit_code == 0);
    std::size_t redraws = 0;
    std::size_t start = 0;
    for (std::size_t at = 0; at <= r.out.size(); ++at) {
      if (at < r.out.size() && r.out[at] != '\r' && r.out[at] != '\n') {
        continue;
      }
      std::string segment = r.out.substr(start, at - start);
      start = at + 1;
      if (segment.find(" - ETA: ") == std::string::npos) {
        continue;
      }
      ++redraws;
      const auto erase = segment.find("\x1b[K");
      CAPTURE(segment);
      CHECK((erase == std::string::npos ? segment.size() : erase) < 60);
    }
    CHECK(redraws > 0);
  }

  TEST_CASE("On a terminal the interrupt message starts its own line after the progress bar") {
    TempDir results;
    const CliResult r = run_shell(
        "script -qec \"RUNNER_TEST_SIGNAL_AT_STEP=2:INT " + std::string(RUNNER_BINARY) +
        " tests/fixtures/tiny.yaml --set results_dir=" + results.path().string() + "\" /dev/null");
    const auto at = r.out.find("runner: interrupted by SIGINT");
    REQUIRE(at != std::string::npos);
    REQUIRE(at > 0);
    CHECK(r.out[at - 1] == '\n');
    CHECK(r.out.substr(0, at).find(" - ETA: ") != std::string::npos);  // a bar was drawn
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
    // summary and plot-model compute nothing in parallel, so they take no --threads.
    for (const char* command : {"summary", "plot-model"}) {
      const CliResult help = run_cli(fmt::format("{} --help", command));
      CHECK(help.out.find("--threads") == std::string::npos);
      const CliResult threads =
          run_cli(fmt::format("{} experiments/cnn.yaml --threads 2", command));
      CHECK(threads.exit_code == 2);
      CHECK(threads.err.find("unrecognised option '--threads'") != std::string::npos);
    }
    const CliResult none = run_cli("");
    CHECK(none.exit_code == 2);
    CHECK(none.err.starts_with("error: no experiment given\nusage: runner EXPERIMENT.yaml"));
  }

  TEST_CASE("Natural mistakes on the command line get the command that was meant") {
    const CliResult hydra = run_cli("experiments/cnn.yaml fit.epochs=3");
    CHECK(hydra.exit_code == 2);
    CHECK(hydra.err ==
          "error: runner run: 'fit.epochs=3' is not an argument runner takes; to override a "
          "config value use --set fit.epochs=3\n");
    const CliResult yaml = run_cli("evaluate experiments/cnn.yaml");
    CHECK(yaml.exit_code == 2);
    CHECK(yaml.err ==
          "error: experiments/cnn.yaml is an experiment file, not a run folder or checkpoint: "
          "train it with 'runner experiments/cnn.yaml', then give the run folder (or a "
          "checkpoint with --experiment experiments/cnn.yaml)\n");
    const CliResult folder = run_cli("tests/fixtures/layering");
    CHECK(folder.exit_code == 2);
    CHECK(folder.err ==
          "error: tests/fixtures/layering is a folder, not an experiment file, and holds no "
          ".yaml files\n");
    const CliResult experiments = run_cli("experiments/");
    CHECK(experiments.exit_code == 2);
    CHECK(experiments.err.starts_with(
        "error: experiments/ is a folder, not an experiment file; run one of: runner "
        "experiments/allconv-bn.yaml, runner experiments/breast-cancer.yaml, runner "
        "experiments/cnn.yaml,"));
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
    const auto keras_file = keras_checkpoint();
    if (!keras_file) {
      return;
    }
    const CliResult r = run_cli("evaluate " + keras_file->string());
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(line_starting(r.out, "test:") == "test: loss 0.2363 - accuracy 0.9168");
  }
}

}  // namespace runner::test
