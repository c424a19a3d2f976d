#pragma once
// The model's layer graph as Keras' plot_model draws it (name and type per layer, optionally
// input and output shapes), written as Graphviz DOT and laid out by Graphviz's own library.
#include <string>

#include "framework/nn/model.hpp"

namespace runner::plot {

struct DiagramOptions {
  bool show_shapes = true;
  std::string title;  // the model name; empty: none
};

// DOT text: an input node ("<first layer>_input: InputLayer", as Keras names it), then one
// node per layer, top to bottom.
std::string model_dot(const Model& model, const DiagramOptions& options);

// Lays out DOT with Graphviz's dot engine and renders it: "png", "svg" or "dot" (DOT as given).
// Throws Error with Graphviz's message when it cannot.
std::string render_dot(const std::string& dot, const std::string& format);

}  // namespace runner::plot
