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
// A regression sweep of 8 runs with 4 settings that vary and 4 metrics: a leaderboard of 24
// columns, 2,500 pixels wide as a plain table.
void write_wide_sweep(const std::filesystem::path& sweep) {
  const char* metrics[] = {"mae", "root_mean_squared_error", "mean_absolute_percentage_error",
                           "mean_squared_logarithmic_error"};
  for (int r = 0; r < 8; ++r) {
    const auto dir = sweep / fmt::format("trial-{:016x}", 0x6ccb34cf4bbe2ef9ULL + r);
    write_file(dir / "config.yaml",
               fmt::format("name: wide\nseed: 42\ncompile:\n  optimizer: {{type: adam, "
                           "learning_rate: {}}}\nfit: {{batch_size: {}}}\nmodel:\n  layers:\n"
                           "    - {{name: dense, type: Dense, units: {}}}\n"
                           "    - {{name: dropout, type: Dropout, rate: {}}}\n",
                           r % 2 == 0 ? 0.01 : 0.001, r < 4 ? 32 : 64, r % 4 < 2 ? 16 : 32,
                           r % 3 == 0 ? 0.1 : 0.3));
    std::string header = "epoch,loss,val_loss";
    for (const char* m : metrics) {
      header += fmt::format(",{0},val_{0}", m);
    }
    std::string csv = header + ",learning_rate,seconds\n";
    std::string test = R"("loss": 24473.547492220176)";
    for (int e = 1; e <= 3; ++e) {
      csv += fmt::format("{},{},{}", e, 31560.365742949198 + 100 * r - e, 33560.36574294 + r - e);
      for (std::size_t m = 0; m < std::size(metrics); ++m) {
        csv += fmt::format(",{},{}", 144.76657504984672 + e, 162.29012419136478 + e);
      }
      csv += ",0.01,0.042\n";
    }
    for (const char* m : metrics) {
      test += fmt::format(R"(, "{}": 139.22001071592396)", m);
    }
    write_file(dir / "history.csv", csv);
    write_file(dir / "summary.json",
               fmt::format(R"({{"experiment": "wide", "status": "completed", "epochs_run": 3, )"
                           R"("params": 1234567, "evaluation": {{"test": {{{}}}}}}})",
                           test));
  }
}
}  // namespace

TEST_SUITE("slow/browser") {
  TEST_CASE("The leaderboard of a sweep with many settings and metrics fits a 1400 pixel window") {
    TempDir dir;
    write_wide_sweep(dir / "sweep");
    const CliResult r = run_cli("report " + (dir / "sweep").string());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    // Measured by the page itself once laid out: the page's and the leaderboard's widths.
    std::string html = slurp(dir / "sweep/report.html");
    const std::string measure =
        "<script>window.addEventListener('load', () => { const b = "
        "document.querySelector('.wide'); document.body.dataset.measured = [b.scrollWidth, "
        "b.clientWidth, document.documentElement.scrollWidth].join(' '); });</script></body>";
    html.replace(html.rfind("</body>"), 7, measure);
    write_file(dir / "measured.html", html);
    const BrowserResult dom = chromium(dir / "measured.html", "--window-size=1400,1000 --dump-dom");
    REQUIRE(dom.exit_code == 0);
    const auto at = dom.dom.find("data-measured=\"");
    REQUIRE(at != std::string::npos);
    std::istringstream numbers(dom.dom.substr(at + 15));
    int scrolled = 0, box = 0, page = 0;
    numbers >> scrolled >> box >> page;
    CHECK(box > 1000);
    CHECK(scrolled <= box);  // no sideways scrolling inside the leaderboard
    CHECK(page <= 1400);     // nor of the page
    // Every column is still there, behind the switch; settings by their last distinct parts.
    const auto board = html.find(R"(<table class="board">)");
    const std::string leaderboard = html.substr(board, html.find("</table>", board) - board);
    CHECK(count_of(leaderboard, "<th") == 1 + 1 + 1 + 4 + 1 + 10 + 5 + 3);
    CHECK(leaderboard.find(
              R"(title="compile.optimizer.learning_rate">optimizer.<wbr>learning_<wbr>rate)") !=
          std::string::npos);
    // The training metrics, epochs, params and seconds at least are behind the switch.
    const auto more = count_of(leaderboard, R"(<th class="more")");
    CHECK(more >= 8);
    const auto label = html.find(fmt::format("show every column ({} more: ", more));
    REQUIRE(label != std::string::npos);
    const std::string hidden = html.substr(label, html.find("</label>", label) - label);
    CAPTURE(hidden);
    CHECK(hidden.find(" loss, mae, ") != std::string::npos);
    CHECK(hidden.ends_with("epochs, s/epoch, params)"));
  }

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
