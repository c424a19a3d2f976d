#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "framework/app/sweep_runner.hpp"
#include "framework/app/sweep_table.hpp"
#include "framework/config/sweep.hpp"
#include "framework/core/errors.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
Sweep tiny_sweep(const TempDir& results, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), "results_dir=" + results.path().string());
  return load_sweep("tests/fixtures/sweep_tiny.yaml", extra);
}

SweepOptions quiet_options() {
  SweepOptions options;
  options.quiet = true;
  return options;
}
}  // namespace

TEST_SUITE("sweep") {
  TEST_CASE("A grid expands to the cartesian product with the last parameter fastest") {
    TempDir results;
    const Sweep sweep = tiny_sweep(results);
    const auto trials = expand_grid(sweep);
    REQUIRE(trials.size() == 4);
    CHECK(trials[0].overrides() ==
          std::vector<std::string>{"model.layers.dense.units=8", "model.layers.dropout.rate=0.1"});
    CHECK(trials[1].overrides() ==
          std::vector<std::string>{"model.layers.dense.units=8", "model.layers.dropout.rate=0.3"});
    CHECK(trials[3].overrides() ==
          std::vector<std::string>{"model.layers.dense.units=16", "model.layers.dropout.rate=0.3"});
  }

  TEST_CASE("The reference sweep's comment counts the trials it runs") {
    const Sweep sweep = load_sweep("experiments/sweep-filters-dropout.yaml");
    const auto trials = expand_grid(sweep);
    CHECK(trials.size() == 12);
    const std::string text = slurp("experiments/sweep-filters-dropout.yaml");
    CHECK(text.find(fmt::format("({} trials)", trials.size())) != std::string::npos);
  }

  TEST_CASE("Random trials are drawn from the seed and stay in their ranges") {
    TempDir dir;
    const auto path = (dir / "random.yaml").string();
    std::filesystem::copy_file("tests/fixtures/tiny.yaml", dir / "tiny.yaml");
    std::ofstream(path)
        << "sweep:\n  name: r\n  base: tiny.yaml\n  method: random\n  max_trials: 6\n"
           "  seed: 3\n  parameters:\n    model.layers.dropout.rate: {min: 0.1, max: 0.5}\n"
           "    model.layers.dense.units: [4, 8, 16]\n";
    const Sweep sweep = load_sweep(path);
    const auto sampler = make_sampler(sweep);
    StudyView view;
    view.space = &sweep.space;
    view.seed = sweep.seed;
    std::vector<Trial> a;
    for (std::int64_t n = 0; n < 6; ++n) {
      a.push_back(trial_of(sweep, sampler->sample(view, n)));
      CHECK(a.back().overrides() ==
            trial_of(sweep, make_sampler(sweep)->sample(view, n)).overrides());
      const double rate = std::stod(a.back().assignments[0].second);
      CHECK(rate >= 0.1);
      CHECK(rate <= 0.5);
    }
    CHECK(a[0].overrides() != a[1].overrides());
  }

  TEST_CASE("Parameter paths are checked against the base experiment at their position") {
    const std::string f = "tests/fixtures/sweep_bad_path.yaml";
    CHECK_THROWS_WITH_AS(
        load_sweep(f),
        (f + ":8:5: sweep.parameters.fit.epochs: a range {min, max} needs method random or tpe "
             "(grid needs a list of values)")
            .c_str(),
        ConfigError);
  }

  TEST_CASE("Unknown parameter paths name the key and the did-you-mean") {
    TempDir dir;
    std::filesystem::copy_file("tests/fixtures/tiny.yaml", dir / "tiny.yaml");
    const auto path = (dir / "s.yaml").string();
    std::ofstream(path)
        << "sweep:\n  name: bad\n  base: tiny.yaml\n  parameters:\n"
           "    model.layers.dense.unit: [8]\n    model.layers.dense_7.units: [8]\n";
    CHECK_THROWS_WITH_AS(
        load_sweep(path),
        (path +
         ":5:5: sweep.parameters.model.layers.dense.unit: model.layers[3].unit: unknown "
         "key 'unit'; did you mean 'units'? (known keys: activation, bias_regularizer, "
         "inputs, kernel_regularizer, name, type, units, use_bias)\n" +
         path +
         ":6:5: sweep.parameters.model.layers.dense_7.units: 'model.layers' has no "
         "element named 'dense_7' (names: conv2d, max_pooling2d, flatten, dense, dropout, "
         "dense_1); did you mean 'dense_1'?")
            .c_str(),
        ConfigError);
  }

  TEST_CASE("A sweep skips finished trials and runs only new grid values") {
    TempDir results;
    const SweepOptions quiet = quiet_options();
    const auto first = run_sweep(tiny_sweep(results), quiet);
    REQUIRE(first.size() == 4);
    for (const auto& r : first) {
      CHECK(r.state == TrialState::kCompleted);
      CHECK_FALSE(r.earlier);
      CHECK(std::filesystem::exists(r.dir / "summary.json"));
    }
    const auto again = run_sweep(tiny_sweep(results), quiet);
    for (const auto& r : again) {
      CHECK(r.state == TrialState::kCompleted);
      CHECK(r.earlier);
    }
    CHECK(again[0].id == first[0].id);
    CHECK(again[0].best == first[0].best);
    CHECK(std::filesystem::exists(results / "tiny-sweep" / "summary.csv"));
    CHECK(std::filesystem::exists(results / "tiny-sweep" / "summary.h5"));
    // A trial without summary.json runs again.
    std::filesystem::remove(first[1].dir / "summary.json");
    const auto resumed = run_sweep(tiny_sweep(results), quiet);
    std::size_t rerun = 0;
    for (const auto& r : resumed) {
      rerun += r.earlier ? 0 : 1;
    }
    CHECK(rerun == 1);
  }

  TEST_CASE("The leaderboard fits the width with short parameter names and whole trial ids") {
    TempDir results;
    const SweepOptions quiet = quiet_options();
    const Sweep sweep = tiny_sweep(results);
    const auto ranked = run_sweep(sweep, quiet);
    const std::string wide = leaderboard_text(sweep, ranked, 0);
    CHECK(wide.starts_with(
        "rank  trial                   status     dense.units  dropout.rate  val_loss  best epoch  "
        "test loss  test accuracy  epochs  s/epoch\n"));
    for (const auto& r : ranked) {
      CHECK(wide.find("  " + r.id + "  ") != std::string::npos);
    }
    const std::string narrow = leaderboard_text(sweep, ranked, 60);
    std::istringstream lines(narrow);
    for (std::string line; std::getline(lines, line);) {
      CAPTURE(line);
      CHECK(line.size() <= 60);
    }
    CHECK(narrow.find("left out to fit 60 characters") != std::string::npos);
    CHECK(narrow.find(ranked[0].id) != std::string::npos);
  }

  TEST_CASE("The live sweep table on a narrow terminal keeps each line within it") {
    TempDir results;
    const CliResult r =
        run_shell("script -qec \"stty cols 60; " + std::string(RUNNER_BINARY) +
                  " tests/fixtures/sweep_tiny.yaml --set results_dir=" + results.path().string() +
                  "\" /dev/null");
    REQUIRE(r.exit_code == 0);
    // Redraws move the cursor up over the lines drawn before: each must be one terminal row.
    std::size_t rows = 0;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      const auto erase = line.find("\x1b[K");
      if (erase == std::string::npos || line.find("  running ") == std::string::npos) {
        continue;
      }
      ++rows;
      std::string text = line.substr(0, erase);
      if (const auto up = text.rfind('A'); text.starts_with("\x1b[") && up != std::string::npos) {
        text = text.substr(up + 1);
      }
      CAPTURE(text);
      CHECK(text.size() < 60);
      CHECK(text.find("trial-") != std::string::npos);
      CHECK(text.find("dense.units=") != std::string::npos);
    }
    CHECK(rows > 0);
  }

  TEST_CASE("A sweep name that is not a folder name is refused as the experiment's is") {
    for (const char* name : {"..", "../../x", "/tmp/abs", "a/b", "-rf"}) {
      CAPTURE(name);
      TempDir dir;
      const auto file = dir / "sweep.yaml";
      std::ofstream(file) << "sweep:\n  name: '" << name << "'\n  base: "
                          << std::filesystem::absolute("tests/fixtures/tiny.yaml").string()
                          << "\n  parameters:\n    model.layers.dense.units: [8]\n";
      const std::string expected = fmt::format(
          "sweep.yaml:2:9: sweep.name: expected a name of letters, digits, '.', '_' or '-' (it "
          "names the results folder), got '{}'",
          name);
      CHECK_THROWS_WITH_AS(load_sweep(file.string()), doctest::Contains(expected.c_str()),
                           ConfigError);
    }
  }

  TEST_CASE("A sweep too large is refused with its count before any trial is listed") {
    TempDir dir;
    const auto file = dir / "sweep.yaml";
    const std::string base = std::filesystem::absolute("tests/fixtures/tiny.yaml").string();
    // 9 parameters x 100 values: 10^18 trials, counted without listing them.
    std::string grid =
        "sweep:\n  name: huge\n  base: " + base + "\n  set: [fit.epochs=1]\n  parameters:\n";
    const char* keys[] = {"seed",
                          "fit.batch_size",
                          "fit.epochs",
                          "data.limit",
                          "model.layers.dense.units",
                          "model.layers.conv2d.filters",
                          "data.test_limit",
                          "model.layers.dropout.rate",
                          "model.layers.max_pooling2d.pool_size"};
    for (const char* key : keys) {
      grid += fmt::format("    {}: [", key);
      for (int v = 1; v <= 100; ++v) {
        grid += fmt::format("{}{}", v == 1 ? "" : ", ", v);
      }
      grid += "]\n";
    }
    std::ofstream(file) << grid;
    CHECK_THROWS_WITH_AS(load_sweep(file.string()),
                         doctest::Contains("sweep: the grid has 1,000,000,000,000,000,000 trials, "
                                           "more than a sweep may have (1,000,000); use method "
                                           "tpe or random with max_trials"),
                         ConfigError);
    std::ofstream(file) << "sweep:\n  name: r\n  base: " << base
                        << "\n  method: random\n  max_trials: 1000000000000\n  parameters:\n"
                           "    model.layers.dense.units: [8, 16]\n";
    CHECK_THROWS_WITH_AS(load_sweep(file.string()),
                         doctest::Contains("sweep.yaml:5:15: sweep.max_trials: expected an integer "
                                           "from 1 to 1000000, got 1000000000000"),
                         ConfigError);
    // A model-based or random search needs a budget.
    std::ofstream(file)
        << "sweep:\n  name: r\n  base: " << base
        << "\n  method: tpe\n  parameters:\n    model.layers.dense.units: [8, 16]\n";
    CHECK_THROWS_WITH_AS(load_sweep(file.string()),
                         doctest::Contains("method tpe needs a budget: max_trials, "
                                           "max_epochs_total or timeout (seconds)"),
                         ConfigError);
  }

  TEST_CASE("A trial whose summary.json is damaged fails alone and the sweep goes on") {
    TempDir results;
    const SweepOptions quiet = quiet_options();
    const auto first = run_sweep(tiny_sweep(results), quiet);
    REQUIRE(first.size() == 4);
    std::ofstream(first[0].dir / "summary.json") << "{}";
    std::ofstream(first[1].dir / "summary.json", std::ios::trunc).close();  // 0 bytes
    const auto again = run_sweep(tiny_sweep(results), quiet);
    std::size_t failed = 0;
    for (const auto& r : again) {
      if (r.state == TrialState::kFailed) {
        ++failed;
        CAPTURE(r.error);
        CHECK(r.error.find("summary.json") != std::string::npos);
      } else {
        CHECK(r.earlier);
      }
    }
    CHECK(failed == 2);
  }

  TEST_CASE("A second sweep process in the same folder is refused") {
    TempDir results;
    const Sweep sweep = tiny_sweep(results);
    std::filesystem::create_directories(results / "tiny-sweep");
    // Another process holds the lock (flock locks belong to open file descriptions).
    const int fd = ::open((results / "tiny-sweep" / ".lock").c_str(), O_RDWR | O_CREAT, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
    const SweepOptions quiet = quiet_options();
    CHECK_THROWS_WITH_AS(
        run_sweep(sweep, quiet),
        ((results / "tiny-sweep").string() + ": another sweep is running in this folder").c_str(),
        Error);
    ::close(fd);
  }

  TEST_CASE("Concurrent trials give the same numbers as sequential ones") {
    TempDir parallel;
    TempDir sequential;
    const SweepOptions quiet = quiet_options();
    const auto a = run_sweep(tiny_sweep(parallel), quiet);
    Sweep one_at_a_time = tiny_sweep(sequential);
    one_at_a_time.concurrency = 1;
    const auto b = run_sweep(one_at_a_time, quiet);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      CHECK(a[i].id == b[i].id);
      CHECK(history_without_seconds(a[i].dir) == history_without_seconds(b[i].dir));
    }
  }
}

}  // namespace runner::test
