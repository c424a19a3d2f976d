#include <doctest/doctest.h>

#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"
#include "framework/plot/model_diagram.hpp"
#include "tests/support/images.hpp"

namespace runner::test {

TEST_SUITE("plot") {
  TEST_CASE("The model diagram names every layer as Keras' plot_model does") {
    const Experiment e = load_experiment("experiments/cnn.yaml");
    const Model model = build_model(e, Shape{28, 28, 1});
    const std::string plain = plot::model_dot(model, {false, ""});
    const std::string shaped = plot::model_dot(model, {true, "fashion_cnn"});
    for (const char* node : {"<B>conv2d_input</B>: InputLayer", "<B>conv2d</B>: Conv2D",
                             "<B>max_pooling2d</B>: MaxPooling2D", "<B>conv2d_1</B>: Conv2D",
                             "<B>flatten</B>: Flatten", "<B>dense</B>: Dense",
                             "<B>dropout</B>: Dropout", "<B>dense_1</B>: Dense"}) {
      CAPTURE(node);
      CHECK(plain.find(node) != std::string::npos);
      CHECK(shaped.find(node) != std::string::npos);
    }
    CHECK(plain.find("(None, ") == std::string::npos);
    CHECK(shaped.find("[(None, 28, 28, 1)]") != std::string::npos);
    CHECK(shaped.find("(None, 28, 28, 32)") != std::string::npos);
    CHECK(shaped.find("(None, 3136)") != std::string::npos);
    CHECK(shaped.find(">313,700<") != std::string::npos);  // dense's parameters
    CHECK(shaped.find("label=<<B>fashion_cnn</B>>") != std::string::npos);
    CHECK(shaped.find("n7 -> n8;") != std::string::npos);
    CHECK(shaped.find("n8 -> n9;") == std::string::npos);
  }

  TEST_CASE("Graphviz renders the diagram as SVG with the layer names as text and as PNG") {
    const Experiment e = load_experiment("experiments/cnn.yaml");
    const Model model = build_model(e, Shape{28, 28, 1});
    const std::string dot = plot::model_dot(model, {true, ""});
    const std::string svg = plot::render_dot(dot, "svg");
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.find(">conv2d_1</text>") != std::string::npos);
    CHECK(svg.find(">dense_1</text>") != std::string::npos);
    CHECK(svg.find(">(None, 10)</text>") != std::string::npos);
    const std::string png = plot::render_dot(dot, "png");
    const DecodedPng image(png);
    REQUIRE(image.ok());
    CHECK(image.height() > 2 * image.width());  // a vertical stack of layers
    CHECK(plot::render_dot(dot, "dot") == dot);
    CHECK_THROWS_AS(plot::render_dot(dot, "gif"), ConfigError);
  }

  TEST_CASE("Unusual layer names are escaped and a broken graph is an error and not a crash") {
    auto model = [] {
      Model m;
      const Experiment e = load_experiment("experiments/cnn.yaml");
      return build_model(e, Shape{28, 28, 1});
    }();
    CHECK(
        plot::render_dot(plot::model_dot(model, {true, "a<b>&\"c\""}), "svg").find("a&lt;b&gt;") !=
        std::string::npos);
    CHECK_THROWS_WITH_AS(plot::render_dot("digraph { a -> ", "svg"),
                         doctest::Contains("Graphviz could not read the model diagram"), Error);
  }
}

}  // namespace runner::test
