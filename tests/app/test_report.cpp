#include <doctest/doctest.h>

#include <cmath>

#include "framework/app/report/report.hpp"
#include "framework/app/report/views.hpp"
#include "framework/core/errors.hpp"
#include "tests/support/fake_runs.hpp"
#include "tests/support/images.hpp"
#include "tests/support/run_cli.hpp"

namespace runner::test {

namespace {
std::string decode_base64(const std::string& text) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=') {
      break;
    }
    const auto v = alphabet.find(c);
    if (v == std::string::npos) {
      FAIL("not base64: '" << c << "'");
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 255);
    }
  }
  return out;
}

std::vector<RunRow> grid_rows(const std::filesystem::path& sweep) {
  return collect_runs({sweep}, "val_loss");
}

// Every value of `attribute="..."` in the text (std::regex recurses per character and
// overflows the stack on data: URIs).
std::vector<std::string> attribute_values(const std::string& html, const std::string& attribute) {
  std::vector<std::string> values;
  const std::string open = attribute + "=\"";
  for (auto at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
    const auto begin = at + open.size();
    values.push_back(html.substr(begin, html.find('"', begin) - begin));
  }
  return values;
}

}  // namespace

TEST_SUITE("report") {
  TEST_CASE("The heat map puts each run's best metric on the grid of its settings") {
    TempDir dir;
    write_grid_sweep(dir / "sweep");
    const std::vector<std::string> varied = {"model.layers.conv2d.filters",
                                             "model.layers.dropout.rate"};
    const plot::HeatMap map = report::heat_map(grid_rows(dir / "sweep"), varied, "val_loss");
    CHECK(map.rows == std::vector<std::string>{"16", "32"});
    CHECK(map.columns == std::vector<std::string>{"0.2", "0.4"});
    CHECK(map.row_label == "conv2d.filters");
    CHECK(map.column_label == "dropout.rate");
    CHECK(map.lower_is_better);
    REQUIRE(map.values.size() == 2);
    CHECK(map.values[0] == std::vector<double>{0.50, 0.54});
    CHECK(map.values[1] == std::vector<double>{0.40, 0.46});

    SUBCASE("accuracy metrics are higher-is-better") {
      CHECK_FALSE(
          report::heat_map(grid_rows(dir / "sweep"), varied, "val_accuracy").lower_is_better);
    }
    SUBCASE("one varied key gives one row named by the metric") {
      const auto one = report::heat_map(grid_rows(dir / "sweep"), {varied[1]}, "val_loss");
      CHECK(one.rows == std::vector<std::string>{"val_loss"});
      CHECK(one.values[0] == std::vector<double>{0.40, 0.46});  // the best of each column
    }
    SUBCASE("nothing varied gives no heat map") {
      CHECK(report::heat_map(grid_rows(dir / "sweep"), {}, "val_loss").rows.empty());
    }
    SUBCASE("a missing grid point stays empty and a broken run is left out") {
      std::filesystem::remove_all(dir / "sweep/trial-d");
      write_file(dir / "sweep/trial-e/config.yaml", "name: [unclosed\n");
      const auto partial = report::heat_map(grid_rows(dir / "sweep"), varied, "val_loss");
      CHECK(std::isnan(partial.values[1][1]));
      CHECK(partial.values[1][0] == 0.40);
    }
  }

  TEST_CASE("Numbers sort numerically on the heat map's axes") {
    TempDir dir;
    write_fake_run(dir / "s/a", {"a", 8, 0.2, {0.5}});
    write_fake_run(dir / "s/b", {"b", 64, 0.2, {0.4}});
    write_fake_run(dir / "s/c", {"c", 128, 0.2, {0.3}});
    const auto map =
        report::heat_map(grid_rows(dir / "s"), {"model.layers.conv2d.filters"}, "val_loss");
    CHECK(map.columns == std::vector<std::string>{"8", "64", "128"});
  }

  TEST_CASE("The overlay chart has one line per readable run named by its settings") {
    TempDir dir;
    write_grid_sweep(dir / "sweep");
    const auto chart = report::overlay_chart(
        grid_rows(dir / "sweep"), {"model.layers.conv2d.filters", "model.layers.dropout.rate"},
        "val_loss");
    REQUIRE(chart.series.size() == 4);
    CHECK(chart.series[0].name == "conv2d.filters=16, dropout.rate=0.2");
    CHECK(chart.series[2].y == std::vector<double>{0.55, 0.40, 0.45});
    CHECK(chart.y_label == "val_loss");
  }

  TEST_CASE("A sweep report holds the leaderboard and overlay and heat map and every run") {
    TempDir dir;
    write_grid_sweep(dir / "sweep");
    const std::string html =
        report::build_report({dir / "sweep"}, {"val_loss", dir / "out/r.html", ""});
    CHECK(html.starts_with("<!DOCTYPE html>"));
    CHECK(html.find("<title>sweep</title>") != std::string::npos);
    CHECK(html.find("<h2>Leaderboard</h2>") != std::string::npos);
    // Ranked by val_loss: trial-c (0.40) first and highlighted.
    const auto first = html.find("<tr class=\"best\">");
    REQUIRE(first != std::string::npos);
    CHECK(html.find(">trial-c</a>", first) < html.find(">trial-a</a>", first));
    CHECK(html.find(R"(<th title="model.layers.conv2d.filters">conv2d.<wbr>filters</th>)") !=
          std::string::npos);
    CHECK(html.find(R"(alt="val_loss of every run")") != std::string::npos);
    CHECK(html.find(R"(alt="best val_loss per setting")") != std::string::npos);
    CHECK(count_of(html, "<details class=\"run\"") == 4);
    CHECK(count_of(html, R"(alt="Training and validation loss")") == 4);
    CHECK(html.find(R"(href="../sweep/summary.csv")") != std::string::npos);

    // Self-contained: every picture is a data: URI that decodes to a PNG; nothing is fetched.
    int images = 0;
    for (const auto& uri : attribute_values(html, " src")) {
      ++images;
      REQUIRE(uri.starts_with("data:image/png;base64,"));
      CHECK(DecodedPng(decode_base64(uri.substr(22))).ok());
    }
    CHECK(images == 2 + 4 * 2);
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
  }

  TEST_CASE("A run report shows the summary and config and pictures and links that resolve") {
    TempDir dir;
    const auto run = dir / "results/grid/20260101-000000-abc";
    write_fake_run(run, {"x", 16, 0.2, {0.5, 0.4}});
    write_file(run / "model.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    write_file(run / "prediction-test-0.png", "not really a png");
    const auto out = dir / "report.html";
    const std::string html = report::build_report({run}, {"val_loss", out, ""});
    CHECK(html.find("<title>grid · 20260101-000000-abc</title>") != std::string::npos);
    CHECK(html.find("<th>evaluation.test.accuracy</th><td class=\"n\">0.9000</td>") !=
          std::string::npos);
    CHECK(html.find("<th>epochs_run</th><td class=\"n\">2</td>") != std::string::npos);
    CHECK(html.find("<details open><summary>config.yaml") != std::string::npos);
    CHECK(html.find("{name: conv2d, type: Conv2D, filters: 16}") != std::string::npos);
    CHECK(html.find(R"(alt="model diagram" src="data:image/svg+xml;base64,)") != std::string::npos);
    CHECK(html.find(R"(alt="prediction-test-0")") != std::string::npos);
    CHECK(html.find("Leaderboard") == std::string::npos);
    int links = 0;
    for (const auto& link : attribute_values(html, "href")) {
      if (!link.starts_with("#")) {
        ++links;
        CAPTURE(link);
        CHECK(std::filesystem::exists(out.parent_path() / link));
      }
    }
    CHECK(links == 5);  // config.yaml, history.csv, model.svg, prediction-test-0.png, summary.json
  }

  TEST_CASE("A report of nothing is a clear error") {
    TempDir dir;
    std::filesystem::create_directories(dir / "empty");
    CHECK_THROWS_WITH_AS(report::build_report({dir / "empty"}, {"val_loss", dir / "r.html", ""}),
                         doctest::Contains("no runs under"), ConfigError);
    CHECK_THROWS_WITH_AS(report::build_report({dir / "missing"}, {"val_loss", dir / "r.html", ""}),
                         doctest::Contains("no such folder"), ConfigError);
  }
}

}  // namespace runner::test
