// A graph model through the command line: summary, plot, training, resume, checkpoints.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "framework/io/checkpoint.hpp"
#include "tests/support/bitwise.hpp"
#include "tests/support/final_weights.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
const std::string kTinyGraph = "tests/fixtures/tiny_graph.yaml -q --set results_dir=";
}  // namespace

TEST_SUITE("slow/graph cli") {
  TEST_CASE("A graph model prints Keras' Functional summary and plots its edges") {
    const CliResult summary = run_cli("summary tests/fixtures/tiny_graph.yaml");
    REQUIRE_MESSAGE(summary.exit_code == 0, summary.err);
    CHECK(summary.out.starts_with("Model: \"model\"\n"));
    CHECK(summary.out.find(" add (Add)                      (None, 28, 28, 4)    0           "
                           "['stem[0][0]',") != std::string::npos);
    CHECK(summary.out.find(" concatenate (Concatenate)      (None, 28, 28, 5)    0           "
                           "['add[0][0]',") != std::string::npos);
    TempDir dir;
    REQUIRE(run_cli("plot-model tests/fixtures/tiny_graph.yaml -o " + (dir / "m.dot").string())
                .exit_code == 0);
    const std::string dot = slurp(dir / "m.dot");
    CHECK(dot.find("n1 -> n6;") != std::string::npos);  // stem -> add (the skip)
    CHECK(dot.find("n0 -> n7;") != std::string::npos);  // the input -> concatenate
  }

  TEST_CASE("A graph model resumes after an interrupt to the same history and weights") {
    TempDir reference;
    const CliResult full = run_cli(kTinyGraph + reference.path().string());
    REQUIRE_MESSAGE(full.exit_code == 0, full.err);
    const auto expected = only_run(reference.path(), "tiny-graph");
    TempDir results;
    const CliResult cut =
        run_cli("RUNNER_TEST_SIGNAL_AT_STEP=9:INT", kTinyGraph + results.path().string());
    CHECK(cut.exit_code == 130);
    const auto run = only_run(results.path(), "tiny-graph");
    const CliResult resumed = run_cli("resume -q " + run.string());
    REQUIRE_MESSAGE(resumed.exit_code == 0, resumed.err);
    CHECK(history_without_seconds(run) == history_without_seconds(expected));
    CHECK(bitwise_equal(final_weights(run), final_weights(expected)));
    // The checkpoints are Functional files runner reads back without the experiment.
    const CliResult evaluated = run_cli("evaluate " + (run / "best.h5").string() + " --split test");
    REQUIRE_MESSAGE(evaluated.exit_code == 0, evaluated.err);
    CHECK(evaluated.out.find("test: loss ") != std::string::npos);
    const std::string config = slurp(run / "config.yaml");
    CHECK(config.find("inputs: [stem, conv2d_1]") != std::string::npos);
  }
}

}  // namespace runner::test
