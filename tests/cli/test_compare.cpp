#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "framework/app/compare.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
// A hand-made run folder: config with a dropout rate, a history, optionally a summary.
void make_run(const std::filesystem::path& dir, const std::string& rate, const std::string& history,
              bool finished) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.yaml") << "name: hand\nresults_dir: results\nmodel:\n  layers:\n    "
                                        "- {type: Dropout, name: dropout, rate: "
                                     << rate << "}\nfit:\n  epochs: 3\n";
  std::ofstream(dir / "history.csv") << history;
  if (finished) {
    std::ofstream(dir / "summary.json") << "{\"params\": 1234}\n";
  }
}

const char* kHeader = "epoch,loss,accuracy,val_loss,val_accuracy,learning_rate,seconds\n";
}  // namespace

TEST_SUITE("compare") {
  TEST_CASE("compare ranks runs by their best val_loss and shows failed ones with the reason") {
    TempDir tmp;
    const auto root = tmp / "runs";
    make_run(root / "a", "0.2",
             std::string(kHeader) + "1,0.9,0.6,0.8,0.7,0.001,2.0\n2,0.7,0.7,0.5,0.8,0.001,4.0\n",
             true);
    make_run(root / "b", "0.4",
             std::string(kHeader) + "1,0.8,0.6,0.6,0.75,0.001,3.0\n2,0.6,0.7,0.65,0.7,0.001,3.0\n",
             false);
    std::filesystem::create_directories(root / "c");
    std::ofstream(root / "c" / "config.yaml") << "name: x\n";
    // Interrupted: in its first epoch (no history yet), and after one (resume continues both).
    make_run(root / "d", "0.5", "", false);
    std::filesystem::remove(root / "d" / "history.csv");
    std::ofstream(root / "d" / "state.bin") << "state";
    make_run(root / "e", "0.3", std::string(kHeader) + "1,0.8,0.6,0.7,0.75,0.001,3.0\n", false);
    std::ofstream(root / "e" / "state.bin") << "state";
    const auto rows = collect_runs({root}, "val_loss");
    CHECK(format_comparison(rows, CompareOptions{}) == R"(runs in runs/
run  status       dropout.rate  best_epoch  best_val_loss    loss  accuracy  val_accuracy  test_loss  test_accuracy  epochs  s/epoch  params
a    completed             0.2           2         0.5000  0.7000    0.7000        0.8000          -              -       2     3.00    1234
b    failed                0.4           1         0.6000  0.8000    0.6000        0.7500          -              -       2     3.00       -
e    interrupted           0.3           1         0.7000  0.8000    0.6000        0.7500          -              -       1     3.00       -
c    failed                  -           -              -       -         -             -          -              -       0        -       -
d    interrupted           0.5           -              -       -         -             -          -              -       0        -       -
runs/c failed: history.csv is missing
)");
    // On an 80-column terminal: the least important columns go, and a note says which.
    CompareOptions narrow;
    narrow.width = 80;
    CHECK(format_comparison(rows, narrow) == R"(runs in runs/
                  dropout.  best_     best_      val_  test_     test_
run  status           rate  epoch  val_loss  accuracy   loss  accuracy  epochs
a    completed         0.2      2    0.5000    0.8000      -         -       2
b    failed            0.4      1    0.6000    0.7500      -         -       2
e    interrupted       0.3      1    0.7000    0.7500      -         -       1
c    failed              -      -         -         -      -         -       0
d    interrupted       0.5      -         -         -      -         -       0
(4 columns left out to fit 80 characters: loss, accuracy, s/epoch, params;
--format csv or json shows every column and full key names)
runs/c failed: history.csv is missing
)");
    std::istringstream lines(format_comparison(rows, narrow));
    for (std::string line; std::getline(lines, line);) {
      CHECK(line.size() <= 80);
    }
  }

  TEST_CASE("compare filters and sorts and writes csv and json and markdown") {
    TempDir root;
    make_run(root / "a", "0.2", std::string(kHeader) + "1,0.9,0.6,0.8,0.9,0.001,2.0\n", true);
    make_run(root / "b", "0.4", std::string(kHeader) + "1,0.8,0.6,0.6,0.7,0.001,3.0\n", true);
    const auto rows = collect_runs({root.path()}, "val_accuracy");
    CompareOptions csv;
    csv.metric = "val_accuracy";
    csv.format = "csv";
    const std::string out = format_comparison(rows, csv);
    CHECK(out.starts_with("run,status,model.layers.dropout.rate,best_epoch,best_val_accuracy,"));
    CHECK(out.find("/a,completed,0.2,") < out.find("/b,completed,0.4,"));  // 0.9 ranks first
    CompareOptions filtered;
    filtered.filters = {"model.layers.dropout.rate=0.4"};
    filtered.format = "json";
    const std::string json = format_comparison(rows, filtered);
    CHECK(json.find("/b\"") != std::string::npos);
    CHECK(json.find("/a\"") == std::string::npos);
    // Filters name keys, values and statuses the runs have, or say what they do have.
    filtered.filters = {"status=completed", "model.layers.dropout.rate=0.2"};
    CHECK(filter_runs(rows, filtered.filters).size() == 1);
    CHECK_THROWS_WITH_AS(filter_runs(rows, {"status=done"}),
                         "--filter status=done: 'done' is not a status (statuses: queued, running, "
                         "completed, pruned, interrupted, failed)",
                         ConfigError);
    CHECK_THROWS_WITH_AS(filter_runs(rows, {"status=complete"}),
                         doctest::Contains("did you mean 'completed'?"), ConfigError);
    CHECK_THROWS_WITH_AS(filter_runs(rows, {"model.layers.dropout.rat=0.2"}),
                         "--filter model.layers.dropout.rat=0.2: no run has the key "
                         "'model.layers.dropout.rat'; did you mean 'model.layers.dropout.rate'?",
                         ConfigError);
    CHECK_THROWS_WITH_AS(filter_runs(rows, {"model.layers.dropout.rate=0.25"}),
                         "--filter model.layers.dropout.rate=0.25: no run has "
                         "model.layers.dropout.rate = 0.25 (values: 0.2, 0.4); did you mean '0.2'?",
                         ConfigError);
    CHECK(filter_runs(rows, {"status=pruned"}).empty());  // a status no run has: nothing matches
    CompareOptions md;
    md.format = "markdown";
    CHECK(format_comparison(rows, md).starts_with("| run | status |"));
  }

  TEST_CASE("compare keeps every digit in csv and json and rounds only in tables") {
    TempDir root;
    make_run(root / "a", "0.2",
             std::string(kHeader) + "1,0.123456789,0.6,0.987654321,0.9,0.001,2.0\n", true);
    const auto rows = collect_runs({root.path()}, "val_loss");
    CompareOptions csv;
    csv.format = "csv";
    CHECK(format_comparison(rows, csv).find(",0.987654321,0.123456789,") != std::string::npos);
    CompareOptions json;
    json.format = "json";
    const std::string j = format_comparison(rows, json);
    CHECK(j.find(R"("best_val_loss": 0.987654321)") != std::string::npos);
    CHECK(j.find(R"("loss": 0.123456789)") != std::string::npos);
    const std::string table = format_comparison(rows, CompareOptions{});
    CHECK(table.find("0.9877") != std::string::npos);
    CHECK(table.find("0.987654321") == std::string::npos);
  }
}

TEST_SUITE("slow/cli") {
  TEST_CASE("runner compare on the command line") {
    TempDir root;
    make_run(root / "a", "0.2", std::string(kHeader) + "1,0.9,0.6,0.8,0.9,0.001,2.0\n", true);
    const CliResult ok = run_cli("compare " + root.path().string() + " --format csv");
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.starts_with("run,status,best_epoch,"));
    const CliResult bad = run_cli("compare " + root.path().string() + " --sort nope");
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.starts_with("error: --sort nope: no such column"));
    const CliResult typo =
        run_cli("compare " + root.path().string() + " --filter model.layers.dropout.rat=0.2");
    CHECK(typo.exit_code == 2);
    CHECK(typo.err.find("did you mean 'model.layers.dropout.rate'?") != std::string::npos);
    const CliResult none = run_cli("compare " + root.path().string() + " --filter status=pruned");
    CHECK(none.exit_code == 1);
    CHECK(none.err == "runner compare: no run matches status=pruned (1 run read)\n");
    const CliResult missing = run_cli("compare /nonexistent-folder");
    CHECK(missing.exit_code == 2);
    CHECK(missing.err == "error: /nonexistent-folder: no such folder\n");
  }
}

}  // namespace runner::test
