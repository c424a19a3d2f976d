// Sweeps that search: TPE with a pruner on real (tiny) trials, the journal that continues them,
// budgets, conditional and shorthand parameters, summary.h5 as summary.csv's twin, and a sweep
// interrupted mid-trial that resumes the trial instead of restarting it.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>

#include "framework/app/report/report.hpp"
#include "framework/app/sweep_runner.hpp"
#include "framework/app/sweep_summary.hpp"
#include "framework/config/sweep.hpp"
#include "framework/io/hdf5.hpp"
#include "framework/io/json.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
SweepOptions quiet() {
  SweepOptions options;
  options.quiet = true;
  return options;
}

// A sweep over tests/fixtures/tiny.yaml (3 epochs, no callbacks) in `dir`, with `body` after the
// common keys.
std::string write_sweep(const TempDir& dir, const std::string& body) {
  std::filesystem::copy_file("tests/fixtures/tiny.yaml", dir / "tiny.yaml",
                             std::filesystem::copy_options::overwrite_existing);
  const auto path = (dir / "sweep.yaml").string();
  std::ofstream(path) << "sweep:\n  name: search\n  base: tiny.yaml\n  seed: 5\n"
                         "  set: [fit.epochs=3, 'callbacks=[]', results_dir="
                      << (dir / "results").string() << "]\n"
                      << body;
  return path;
}

const char* kSearch =
    "  method: {type: tpe, startup_trials: 2}\n"
    "  pruner: {type: asha, min_resource: 1, reduction_factor: 2}\n"
    "  parameters:\n"
    "    compile.optimizer.learning_rate: {min: 0.0003, max: 0.03, log: true}\n"
    "    model.layers.dense.units: {type: int, min: 8, max: 32, step: 8}\n";

// The message a sweep file's problems give, checked for `part`.
void check_contains(const std::string& text, const std::string& part) {
  INFO(text);
  CHECK(text.find(part) != std::string::npos);
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (const char c : line) {
      if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += c;
      }
    }
    cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}
}  // namespace

TEST_SUITE("sweep") {
  TEST_CASE("A TPE sweep with ASHA prunes trials and keeps them and continues from its journal") {
    TempDir dir;
    const std::string path = write_sweep(dir, std::string("  max_trials: 6\n") + kSearch);
    const auto ranked = run_sweep(load_sweep(path), quiet());
    REQUIRE(ranked.size() == 6);
    std::size_t pruned = 0;
    for (const auto& r : ranked) {
      CAPTURE(r.id);
      CHECK((r.state == TrialState::kCompleted || r.state == TrialState::kPruned));
      if (r.state == TrialState::kPruned) {
        ++pruned;
        CHECK(r.epochs_run < 3);
        const YAML::Node summary =
            parse_json(slurp(r.dir / "summary.json"), (r.dir / "summary.json").string());
        CHECK(summary["status"].Scalar() == "pruned");
        CHECK(std::filesystem::exists(r.dir / "history.csv"));
      } else {
        CHECK(r.epochs_run == 3);
      }
    }
    CHECK(pruned >= 1);
    // Pruned trials rank after completed ones.
    CHECK(ranked.front().state == TrialState::kCompleted);
    // The study (what TPE and the pruner learn from) holds each trial's best metric, not a
    // placeholder: the same numbers the leaderboard ranks by.
    {
      const Sweep sweep = load_sweep(path);
      const SweepStudy study(sweep, dir / "results" / "search");
      const auto known = study.results();
      REQUIRE(known.size() == 6);
      for (const auto& r : known) {
        double lowest = INFINITY;
        for (const auto& rec : r.history.epochs()) {
          lowest = std::min(lowest, rec.logs.get("val_loss").value_or(INFINITY));
        }
        CHECK(r.best == lowest);
      }
    }
    const auto sweep_folder = dir / "results" / "search";
    const std::string csv = slurp(sweep_folder / "summary.csv");
    CHECK(csv.find(",pruned,") != std::string::npos);

    // The same file again: nothing is trained or proposed anew.
    const auto again = run_sweep(load_sweep(path), quiet());
    REQUIRE(again.size() == 6);
    for (const auto& r : again) {
      CHECK(r.earlier);
    }
    // A larger budget continues the same history: the first six are the journal's.
    const std::string journal = slurp(sweep_folder / "trials.json");
    const std::string more = write_sweep(dir, std::string("  max_trials: 8\n") + kSearch);
    const auto continued = run_sweep(load_sweep(more), quiet());
    REQUIRE(continued.size() == 8);
    std::size_t earlier = 0;
    std::set<std::int64_t> numbers;
    for (const auto& r : continued) {
      earlier += r.earlier ? 1 : 0;
      numbers.insert(r.number);
      if (r.number < 6) {
        CHECK(r.earlier);
      }
    }
    CHECK(earlier == 6);
    CHECK(numbers.size() == 8);
    const YAML::Node before = parse_json(journal, "trials.json");
    const YAML::Node after = parse_json(slurp(sweep_folder / "trials.json"), "trials.json");
    REQUIRE(before["trials"].size() == 6);
    REQUIRE(after["trials"].size() == 8);
    for (std::size_t i = 0; i < 6; ++i) {
      CHECK(to_json(before["trials"][i]) == to_json(after["trials"][i]));
    }
  }

  TEST_CASE("summary.h5 holds summary.csv's table with one dataset per column") {
    TempDir dir;
    const std::string path = write_sweep(dir,
                                         "  method: random\n  max_trials: 3\n  parameters:\n"
                                         "    compile.optimizer.type: [adam, sgd]\n"
                                         "    compile.optimizer.momentum: {min: 0.5, max: 0.9, "
                                         "when: {compile.optimizer.type: sgd}}\n"
                                         "    model.layers.dense.units: [8, 16]\n");
    (void)run_sweep(load_sweep(path), quiet());
    const auto folder = dir / "results" / "search";
    const auto rows = csv_rows(slurp(folder / "summary.csv"));
    REQUIRE(rows.size() == 4);
    const auto& header = rows.front();
    const h5::Object file = h5::open_file((folder / "summary.h5").string());
    const h5::Object trials = file.group("trials");
    CHECK(trials.read_string_list_attribute("columns") == header);
    for (std::size_t c = 0; c < header.size(); ++c) {
      CAPTURE(header[c]);
      bool numeric = true;
      for (std::size_t r = 1; r < rows.size(); ++r) {
        char* end = nullptr;
        (void)std::strtod(rows[r][c].c_str(), &end);
        numeric = numeric && (rows[r][c].empty() || end == rows[r][c].c_str() + rows[r][c].size());
      }
      if (numeric) {
        const auto values = trials.read_doubles(header[c]);
        REQUIRE(values.size() == rows.size() - 1);
        for (std::size_t r = 1; r < rows.size(); ++r) {
          if (rows[r][c].empty()) {
            CHECK(std::isnan(values[r - 1]));
          } else {
            CHECK(values[r - 1] == std::stod(rows[r][c]));
          }
        }
      } else {
        std::vector<std::string> column;
        for (std::size_t r = 1; r < rows.size(); ++r) {
          column.push_back(rows[r][c]);
        }
        CHECK(trials.read_strings(header[c]) == column);
      }
    }
    // The conditional parameter is empty where the optimizer is adam, and the shorthand base
    // (`optimizer: {type: adam, ...}`) took sgd's momentum.
    const auto type_column = std::find(header.begin(), header.end(), "compile.optimizer.type");
    const auto momentum_column =
        std::find(header.begin(), header.end(), "compile.optimizer.momentum");
    REQUIRE(type_column != header.end());
    REQUIRE(momentum_column != header.end());
    for (std::size_t r = 1; r < rows.size(); ++r) {
      const auto t = static_cast<std::size_t>(type_column - header.begin());
      const auto m = static_cast<std::size_t>(momentum_column - header.begin());
      CHECK(rows[r][m].empty() == (rows[r][t] == "adam"));
      CHECK(rows[r][3] == "completed");
    }
    // The sweep's report adds its optimisation history, parallel coordinates and importances.
    report::ReportOptions options;
    options.output = dir / "report.html";
    const std::string html = report::build_report({folder}, options);
    for (const char* section : {"<h2>Optimisation history</h2>", "<h2>Parallel coordinates</h2>",
                                "<h2>Parameter importance</h2>"}) {
      CHECK(html.find(section) != std::string::npos);
    }
    CHECK(html.find("<td>model.layers.dense.units</td>") != std::string::npos);
  }

  TEST_CASE("A sweep stops proposing at max_epochs_total and says so") {
    TempDir dir;
    const std::string path =
        write_sweep(dir,
                    "  method: random\n  max_epochs_total: 7\n  parameters:\n"
                    "    model.layers.dense.units: {type: int, min: 4, max: 64}\n");
    const auto ranked = run_sweep(load_sweep(path), quiet());
    // 3 + 3 epochs are under 7, the third trial brings 9: then nothing new starts.
    CHECK(ranked.size() == 3);
    const CliResult cli = run_cli("", path);
    CHECK(cli.exit_code == 0);
    CHECK(cli.out.find("the sweep stopped proposing trials: max_epochs_total (7) reached: 9 "
                       "epochs trained") != std::string::npos);
    CHECK(cli.out.find("best trial trial-") != std::string::npos);
    CHECK(cli.out.find("  runner " + (dir / "tiny.yaml").string() + " --set fit.epochs=3") !=
          std::string::npos);
  }

  TEST_CASE("A sweep tries each setting once and ends when every one has been tried") {
    TempDir dir;
    const std::string path = write_sweep(dir,
                                         "  method: random\n  max_epochs_total: 7\n  parameters:\n"
                                         "    model.layers.dense.units: [8, 16]\n");
    const CliResult cli = run_cli("", path);
    INFO(cli.out);
    CHECK(cli.exit_code == 0);
    // Two settings, 3 epochs each: 6 epochs trained, under the budget of 7, and nothing left.
    CHECK(cli.out.find("the sweep stopped proposing trials: all 2 settings of the search space "
                       "have been tried") != std::string::npos);
    std::size_t folders = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir / "results" / "search")) {
      folders += entry.is_directory() ? 1 : 0;
    }
    CHECK(folders == 2);
  }

  TEST_CASE("Sweep search settings are checked where they are written") {
    TempDir dir;
    auto message = [&](const std::string& body) {
      try {
        (void)load_sweep(write_sweep(dir, body));
      } catch (const ConfigError& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    check_contains(message("  method: tpee\n  max_trials: 2\n  parameters:\n"
                           "    model.layers.dense.units: [8]\n"),
                   "sweep.yaml:6:11: sweep.method: unknown search method 'tpee' (known: "
                   "grid, random, tpe); did you mean 'tpe'?");
    check_contains(message("  method: grid\n  pruner: {type: median, warmup: x}\n"
                           "  parameters:\n    model.layers.dense.units: [8]\n"),
                   "sweep.yaml:7:34: sweep.pruner.warmup: expected an integer");
    check_contains(
        message("  method: random\n  max_trials: 2\n  parameters:\n"
                "    compile.optimizer.momentum: {min: 0, max: 0.9, when: {compile.optimizer.typ: "
                "sgd}}\n"
                "    compile.optimizer.type: [adam, sgd]\n"),
        "sweep.parameters.compile.optimizer.momentum.when: 'compile.optimizer.typ' is not a "
        "parameter listed before this one");
    check_contains(
        message("  method: random\n  max_trials: 2\n  parameters:\n"
                "    compile.optimizer.type: [adam, sgd]\n"
                "    compile.optimizer.momentum: {min: 0, max: 0.9, when: {compile.optimizer.type: "
                "sdg}}\n"),
        "'sdg' is not one of compile.optimizer.type's values (adam, sgd); did you mean 'sgd'?");
    check_contains(message("  method: random\n  max_trials: 2\n  parameters:\n"
                           "    model.layers.dense.units: {type: int, min: 8.5, max: 32}\n"),
                   "type int needs whole numbers for min, max and step");
    check_contains(message("  method: random\n  max_trials: 2\n  parameters:\n"
                           "    compile.optimizer.learning_rate: {min: 0, max: 1, log: true}\n"),
                   "a log range needs min > 0, got 0");
  }
}

TEST_SUITE("slow/sweep") {
  TEST_CASE("An interrupted sweep trial resumes from its state and ends as if never stopped") {
    TempDir stopped;
    TempDir straight;
    const char* body = "  method: grid\n  parameters:\n    model.layers.dense.units: [8, 16]\n";
    const std::string a = write_sweep(stopped, body);
    const std::string b = write_sweep(straight, body);
    // Step 8 is the second step of epoch 2 of the first trial (6 steps an epoch).
    const CliResult first = run_cli("RUNNER_TEST_SIGNAL_AT_STEP=8:INT", a);
    CHECK(first.exit_code == 130);
    CHECK(first.err.find("run the sweep again to go on (interrupted trials resume from their "
                         "state)") != std::string::npos);
    const auto folder = stopped / "results" / "search";
    const std::string csv = slurp(folder / "summary.csv");
    CHECK(csv.find(",interrupted,") != std::string::npos);
    CHECK(csv.find(",queued,") != std::string::npos);
    const CliResult second = run_cli("", a);
    INFO(second.out);
    CHECK(second.exit_code == 0);
    CHECK(second.out.find("running (resuming)") != std::string::npos);
    REQUIRE(run_cli("", b).exit_code == 0);
    const auto resumed = csv_rows(slurp(folder / "summary.csv"));
    for (std::size_t r = 1; r < resumed.size(); ++r) {
      const std::string trial = resumed[r][1];
      CAPTURE(trial);
      CHECK(resumed[r][3] == "completed");
      CHECK(history_without_seconds(folder / trial) ==
            history_without_seconds(straight / "results" / "search" / trial));
    }
  }
}

}  // namespace runner::test
