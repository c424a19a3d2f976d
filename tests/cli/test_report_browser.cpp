#include <doctest/doctest.h>

#include "framework/config/experiment.hpp"
#include "framework/plot/charts.hpp"
#include "framework/plot/model_diagram.hpp"
#include "tests/support/fake_runs.hpp"
#include "tests/support/images.hpp"
#include "tests/support/run_cli.hpp"

// Opens report.html in headless Chromium (installed by `scripts/setup --tests`), as a user's
// browser would: from disk, no server, no network.
namespace runner::test {

namespace {
struct BrowserResult {
  int exit_code = -1;
  std::string dom;
  std::string log;
};

BrowserResult chromium(const std::filesystem::path& page, const std::string& mode) {
  TempDir profile;
  const std::string command =
      "chromium --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-dev-shm-usage --hide-scrollbars --user-data-dir=" +
      (profile / "profile").string() +
      " --virtual-time-budget=10000 --enable-logging=stderr --v=0 " + mode + " file://" +
      std::filesystem::absolute(page).string() + " >" + (profile / "out").string() + " 2>" +
      (profile / "err").string() + " </dev/null";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(profile / "out"),
          slurp(profile / "err")};
}

// Console messages (console.error, uncaught exceptions) as Chromium logs them.
std::vector<std::string> console_lines(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(":CONSOLE") != std::string::npos) {
      lines.push_back(line);
    }
  }
  return lines;
}

// A sweep whose runs have every kind of picture a real run has.
void write_sweep_with_pictures(const std::filesystem::path& sweep) {
  write_grid_sweep(sweep);
  const Experiment e = load_experiment("tests/fixtures/tiny.yaml");
  const std::string svg =
      plot::render_dot(plot::model_dot(build_model(e, Shape{28, 28, 1}), {true, "tiny"}), "svg");
  plot::PredictionView view;
  view.title = "test[0]";
  view.height = view.width = 28;
  view.pixels.assign(28 * 28, 128);
  view.class_names = {"a", "b"};
  view.probabilities = {0.3, 0.7};
  const std::string prediction = plot::render_prediction(view, plot::ImageFormat::kPng);
  for (const auto& run : grid_runs()) {
    write_file(sweep / run.folder / "model.svg", svg);
    write_file(sweep / run.folder / "prediction-test-0.png", prediction);
  }
}
}  // namespace

TEST_SUITE("slow/browser") {
  TEST_CASE("Chromium opens a sweep report with every picture loaded and no console error") {
    TempDir dir;
    write_sweep_with_pictures(dir / "sweep");
    const CliResult r = run_cli("report " + (dir / "sweep").string());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto page = dir / "sweep/report.html";
    const std::string html = slurp(page);
    const std::size_t images = count_of(html, "<img");
    CHECK(images == 2 + 4 * 4);  // overlay, heat map; per run 2 curves, diagram, prediction

    const BrowserResult dom = chromium(page, "--dump-dom");
    INFO(dom.log);
    REQUIRE(dom.exit_code == 0);
    CHECK(dom.dom.find(fmt::format(R"(data-images="{}" data-broken-images="0")", images)) !=
          std::string::npos);
    CHECK(console_lines(dom.log).empty());

    const BrowserResult shot =
        chromium(page, "--window-size=1280,1600 --screenshot=" + (dir / "shot.png").string());
    REQUIRE(shot.exit_code == 0);
    const DecodedPng screenshot(slurp(dir / "shot.png"));
    REQUIRE(screenshot.ok());
    CHECK(screenshot.width() == 1280);
    CHECK(screenshot.height() == 1600);
    CHECK(screenshot.count(0xfff6d6, 2) > 2000);  // the leaderboard's best row
  }

  TEST_CASE("The browser check notices a picture that does not load") {
    TempDir dir;
    write_grid_sweep(dir / "sweep");
    REQUIRE(run_cli("report " + (dir / "sweep").string()).exit_code == 0);
    std::string html = slurp(dir / "sweep/report.html");
    const auto data = html.find("base64,") + 7;
    html.replace(data, 64, "AAAA");  // a damaged PNG
    write_file(dir / "broken.html", html);
    const BrowserResult dom = chromium(dir / "broken.html", "--dump-dom");
    CHECK(dom.dom.find(R"(data-broken-images="1")") != std::string::npos);
    CHECK(dom.dom.find(R"(<p class="warn">1 picture(s) did not load)") != std::string::npos);
    const auto console = console_lines(dom.log);
    REQUIRE(console.size() == 1);
    CHECK(console[0].find("report: 1 picture(s) did not load: ") != std::string::npos);
  }
}

}  // namespace runner::test
