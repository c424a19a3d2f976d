#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "framework/core/errors.hpp"
#include "framework/plot/charts.hpp"
#include "framework/plot/parallel_coordinates.hpp"
#include "framework/plot/run_plots.hpp"
#include "tests/support/images.hpp"

namespace runner::test {

namespace {
History two_curves() {
  History h;
  const double loss[] = {0.9, 0.6, 0.5, 0.45};
  const double val[] = {0.8, 0.55, 0.58, 0.6};  // best validation at epoch 2
  for (int e = 0; e < 4; ++e) {
    Logs logs;
    logs.set("loss", loss[e]);
    logs.set("accuracy", 0.5 + 0.1 * e);
    logs.set("val_loss", val[e]);
    logs.set("val_accuracy", 0.55 + 0.05 * e);
    h.add({e + 1, logs, 1.0});
  }
  return h;
}
}  // namespace

TEST_SUITE("plot") {
  TEST_CASE("nice_ticks gives round steps that cover the range") {
    const auto ticks = plot::nice_ticks(0.123, 0.987, 6);
    REQUIRE(ticks.size() >= 4);
    CHECK(ticks.front() >= 0.123 - 1e-12);
    CHECK(ticks.back() <= 0.987 + 1e-12);
    const double step = ticks[1] - ticks[0];
    CHECK(step == doctest::Approx(0.1).epsilon(1e-9));
    CHECK(ticks.front() == doctest::Approx(0.2));
    CHECK(ticks.back() == doctest::Approx(0.9));
    for (std::size_t i = 1; i < ticks.size(); ++i) {
      CHECK(ticks[i] - ticks[i - 1] == doctest::Approx(step));
    }
    CHECK(plot::nice_ticks(1, 13, 8) == std::vector<double>{2, 4, 6, 8, 10, 12});
    CHECK(plot::nice_ticks(5, 5, 6) == std::vector<double>{5});  // no step for an empty range
    CHECK(plot::nice_ticks(0, std::numeric_limits<double>::infinity(), 6).size() == 1);
  }

  TEST_CASE("history_chart pairs each metric with its validation twin and marks the best epoch") {
    const auto chart = plot::history_chart(two_curves(), "loss");
    REQUIRE(chart.series.size() == 2);
    CHECK(chart.series[0].name == "training loss");
    CHECK(chart.series[1].name == "validation loss");
    CHECK(chart.series[1].y == std::vector<double>{0.8, 0.55, 0.58, 0.6});
    CHECK(chart.x_label == "epoch");
    CHECK(chart.y_label == "loss");
    REQUIRE(chart.marker_x.has_value());
    CHECK(*chart.marker_x == 2);
    CHECK(chart.marker_label == "best epoch 2");
    CHECK(plot::best_epoch(History{}) == 0);

    History no_validation;  // then the best epoch is the lowest training loss
    for (int e = 0; e < 3; ++e) {
      Logs logs;
      logs.set("loss", e == 1 ? 0.1 : 0.5);
      no_validation.add({e + 1, logs, 0});
    }
    const auto train_only = plot::history_chart(no_validation, "loss");
    CHECK(train_only.series.size() == 1);
    CHECK(*train_only.marker_x == 2);
  }

  TEST_CASE("The legend keeps clear of the best-epoch line when the best epoch is the last") {
    History h;  // both losses fall to the end: the best epoch is the last
    for (int e = 0; e < 6; ++e) {
      Logs logs;
      logs.set("loss", 1.0 / (e + 1));
      logs.set("val_loss", 1.2 / (e + 1));
      h.add({e + 1, logs, 1.0});
    }
    const auto chart = plot::history_chart(h, "loss");
    REQUIRE(chart.marker_x.has_value());
    CHECK(*chart.marker_x == 6);
    const plot::LineChartLayout layout = plot::line_chart_layout(chart);
    REQUIRE(layout.marker_px.has_value());
    const double marker = *layout.marker_px;
    const auto& legend = layout.legend;
    CHECK((marker < legend.x || marker > legend.x + legend.width));
    // Inside the plot, where the curves are highest and the line is not.
    CHECK(legend.x >= layout.plot.x);
    CHECK(legend.x + legend.width < marker);

    // The best epoch in the middle leaves the legend in its usual place, top right.
    const auto middle = plot::line_chart_layout(plot::history_chart(two_curves(), "loss"));
    CHECK(middle.legend.x > middle.plot.x + middle.plot.width / 2);
    CHECK(middle.legend.y < middle.plot.y + middle.plot.height / 2);
  }

  TEST_CASE("A line chart renders as a PNG of its size with both lines drawn") {
    const auto chart = plot::history_chart(two_curves(), "loss");
    const std::string png = plot::render_line_chart(chart, plot::ImageFormat::kPng);
    CHECK(png.starts_with("\x89PNG\r\n\x1a\n"));
    const DecodedPng image(png);
    REQUIRE(image.ok());
    CHECK(image.width() == 800);
    CHECK(image.height() == 480);
    CHECK(image.count(kBlue) > 300);
    CHECK(image.count(kOrange) > 300);

    plot::LineChart empty = chart;
    empty.series.clear();
    const DecodedPng blank(plot::render_line_chart(empty, plot::ImageFormat::kPng));
    REQUIRE(blank.ok());
    CHECK(blank.count(kBlue) == 0);
  }

  TEST_CASE("A line chart's SVG names its title and axes and lines and marker") {
    const auto chart = plot::history_chart(two_curves(), "accuracy");
    const std::string svg = plot::render_line_chart(chart, plot::ImageFormat::kSvg);
    CHECK(svg.starts_with("<?xml"));
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.find("</svg>") != std::string::npos);
    CHECK(svg.find("<title>Training and validation accuracy</title>") != std::string::npos);
    CHECK(svg.find("<desc>x axis: epoch; y axis: accuracy; lines: training accuracy, validation "
                   "accuracy; best epoch 2</desc>") != std::string::npos);
  }

  TEST_CASE("NaN values leave gaps instead of breaking the chart") {
    plot::LineChart chart;
    chart.title = "gaps";
    chart.series.push_back({"a", {1, 2, 3, 4}, {1, std::nan(""), 3, 2}, false});
    const DecodedPng image(plot::render_line_chart(chart, plot::ImageFormat::kPng));
    REQUIRE(image.ok());
    CHECK(image.count(kBlue) > 100);
  }

  TEST_CASE("A prediction view shows the image and one bar per class") {
    plot::PredictionView view;
    view.title = "test[0]";
    view.height = view.width = 4;
    view.pixels.assign(16, 255);  // a white image
    view.class_names = {"cat", "dog", "bird"};
    view.probabilities = {0.7, 0.2, 0.1};
    view.label = 1;  // wrong: predicted cat, label dog
    const std::string png = plot::render_prediction(view, plot::ImageFormat::kPng);
    const DecodedPng image(png);
    REQUIRE(image.ok());
    CHECK(image.width() == 820);
    CHECK(image.count(0xffffff, 0, 30, 60, 40, 70) == 100);  // the image's first cell, white
    CHECK(image.count(kRed) > 500);                          // the wrong prediction
    CHECK(image.count(kBlue) > 100);                         // the true class
    const std::string svg = plot::render_prediction(view, plot::ImageFormat::kSvg);
    CHECK(svg.find("<title>test[0]: predicted cat (70.0%), label dog</title>") !=
          std::string::npos);
    CHECK(svg.find("dog 0.2000;") != std::string::npos);

    view.label = 0;  // right: no red bar
    CHECK(DecodedPng(plot::render_prediction(view, plot::ImageFormat::kPng)).count(kRed) == 0);

    view.class_names.pop_back();
    CHECK_THROWS_AS(plot::render_prediction(view, plot::ImageFormat::kPng), Error);
    view.class_names.push_back("bird");
    view.label = 3;
    CHECK_THROWS_AS(plot::render_prediction(view, plot::ImageFormat::kPng), Error);
  }

  TEST_CASE("A heat map outlines the best cell and leaves missing cells gray") {
    plot::HeatMap map;
    map.title = "best val_loss per setting";
    map.row_label = "filters";
    map.column_label = "dropout";
    map.rows = {"16", "32"};
    map.columns = {"0.2", "0.4"};
    map.values = {{0.5, 0.4}, {0.3, std::nan("")}};
    const std::string svg = plot::render_heat_map(map, plot::ImageFormat::kSvg);
    CHECK(svg.find("[32 | 0.2] 0.3000;") != std::string::npos);
    CHECK(svg.find("[32 | 0.4] nan;") != std::string::npos);
    const DecodedPng image(plot::render_heat_map(map, plot::ImageFormat::kPng));
    REQUIRE(image.ok());
    CHECK(image.count(0xebebeb, 2) > 1000);   // the missing cell
    CHECK(image.count(0xfde725, 30) > 1000);  // the best cell, bright yellow

    map.values.pop_back();
    CHECK_THROWS_AS(plot::render_heat_map(map, plot::ImageFormat::kPng), Error);
  }

  TEST_CASE("Parallel coordinates draw one line per trial with the best one on top in yellow") {
    plot::ParallelCoordinates chart;
    chart.title = "settings";
    chart.axes = {{"optimizer", {"adam", "sgd"}, false},
                  {"learning_rate", {}, true},
                  {"val_loss", {}, false}};
    chart.lines = {{0, 0.001, 0.40}, {1, 0.01, 0.55}, {1, std::nan(""), 0.50}};
    const std::string svg = plot::render_parallel_coordinates(chart, plot::ImageFormat::kSvg);
    CHECK(svg.find("3 trials over 3 axes: optimizer; learning_rate; val_loss;") !=
          std::string::npos);
    const DecodedPng image(plot::render_parallel_coordinates(chart, plot::ImageFormat::kPng));
    REQUIRE(image.ok());
    CHECK(image.width() == 1100);
    CHECK(image.count(0xfde725, 40) > 100);  // the best trial's line
    chart.lines.push_back({0, 0.001});
    CHECK_THROWS_AS(plot::render_parallel_coordinates(chart, plot::ImageFormat::kPng), Error);
  }
}

}  // namespace runner::test
