#include <doctest/doctest.h>

#include "tests/support/fake_runs.hpp"
#include "tests/support/images.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

TEST_SUITE("slow/cli") {
  TEST_CASE("plot-model draws the reference model as PNG or SVG or DOT without training") {
    TempDir dir;
    const CliResult svg =
        run_cli("plot-model experiments/cnn.yaml --show-shapes -o " + (dir / "m.svg").string());
    INFO(svg.err);
    REQUIRE(svg.exit_code == 0);
    CHECK(svg.out == "wrote " + (dir / "m.svg").string() + "\n");
    const std::string text = slurp(dir / "m.svg");
    CHECK(text.find(">conv2d_1</text>") != std::string::npos);
    CHECK(text.find(">(None, 7, 7, 64)</text>") != std::string::npos);

    REQUIRE(run_cli("plot-model experiments/cnn.yaml -o " + (dir / "m.dot").string()).exit_code ==
            0);
    const std::string dot = slurp(dir / "m.dot");
    CHECK(dot.starts_with("digraph model {"));
    CHECK(dot.find("(None, ") == std::string::npos);  // shapes only with --show-shapes

    REQUIRE(run_cli("plot-model experiments/cnn.yaml --set model.layers.dense.units=50 -o " +
                    (dir / "m.png").string())
                .exit_code == 0);
    CHECK(DecodedPng(slurp(dir / "m.png")).ok());
  }

  TEST_CASE("plot-model and report refuse bad arguments with exit code 2") {
    TempDir dir;
    const CliResult ext = run_cli("plot-model experiments/cnn.yaml -o " + (dir / "m.gif").string());
    CHECK(ext.exit_code == 2);
    CHECK(ext.err.find("the name must end in .png, .svg or .dot") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "m.gif"));
    CHECK(run_cli("plot-model").exit_code == 2);
    const CliResult missing = run_cli("plot-model tests/fixtures/nope.yaml");
    CHECK(missing.exit_code == 2);

    const CliResult none = run_cli("report " + (dir / "nothing").string());
    CHECK(none.exit_code == 2);
    CHECK(none.err.find("nothing: no such folder") != std::string::npos);
    std::filesystem::create_directories(dir / "empty");
    const CliResult empty = run_cli("report " + (dir / "empty").string());
    CHECK(empty.exit_code == 2);
    CHECK(empty.err.find("no runs under") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "empty/report.html"));
    CHECK(run_cli("report --metric").exit_code == 2);
  }

  TEST_CASE("report over several folders writes report.html where it is told") {
    TempDir dir;
    write_grid_sweep(dir / "a");
    write_fake_run(dir / "b/run", {"x", 64, 0.3, {0.7, 0.6}});
    const CliResult r = run_cli("report " + (dir / "a").string() + " " + (dir / "b").string() +
                                " --metric val_accuracy -o " + (dir / "out/both.html").string());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string html = slurp(dir / "out/both.html");
    CHECK(html.find("<title>a, b</title>") != std::string::npos);
    CHECK(html.find("Ranked by the best val_accuracy") != std::string::npos);
    CHECK(html.find(">5. ") != std::string::npos);  // five runs listed
  }
}

}  // namespace runner::test
