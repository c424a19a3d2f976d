#include "framework/plot/model_diagram.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <graphviz/gvc.h>

#include <memory>
#include <mutex>

#include "framework/core/errors.hpp"
#include "framework/core/text.hpp"

namespace runner::plot {

namespace {
std::string node(std::size_t id, std::string_view name, std::string_view type,
                 const std::string& input, const std::string& output, const std::string& params,
                 bool show_shapes) {
  std::string rows = fmt::format(R"(<TR><TD COLSPAN="2" BGCOLOR="#dbe9f6"><B>{}</B>: {}</TD></TR>)",
                                 xml_escape(name), xml_escape(type));
  if (show_shapes) {
    rows += fmt::format(R"(<TR><TD ALIGN="LEFT">input:</TD><TD ALIGN="LEFT">{}</TD></TR>)",
                        xml_escape(input));
    rows += fmt::format(R"(<TR><TD ALIGN="LEFT">output:</TD><TD ALIGN="LEFT">{}</TD></TR>)",
                        xml_escape(output));
    if (!params.empty()) {
      rows +=
          fmt::format(R"(<TR><TD ALIGN="LEFT">params:</TD><TD ALIGN="LEFT">{}</TD></TR>)", params);
    }
  }
  return fmt::format(
      "  n{} [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
      "CELLPADDING=\"5\">{}</TABLE>>];\n",
      id, rows);
}

// Graphviz reports problems through a global callback; collect them for the exception.
std::string& graphviz_messages() {
  static std::string messages;
  return messages;
}
int collect_message(char* text) {
  graphviz_messages() += text;
  return 0;
}
std::mutex graphviz_mutex;  // the library's globals (error callback, plugin state) are shared

// One context for the process, never freed: Graphviz 2.42's pango plugin caches the last font
// name across contexts and reads it after gvFreeContext() freed it (AddressSanitizer reports
// the use after free on the second context).
GVC_t* graphviz_context() {
  static GVC_t* const context = gvContext();
  return context;
}
}  // namespace

std::string model_dot(const Model& model, const DiagramOptions& options) {
  std::string dot = "digraph model {\n";
  dot += "  graph [rankdir=TB, nodesep=0.3, ranksep=0.35, fontname=\"DejaVu Sans\"";
  if (!options.title.empty()) {
    dot += fmt::format(", label=<<B>{}</B>>, labelloc=t, fontsize=16", xml_escape(options.title));
  }
  dot += "];\n";
  dot += "  node [shape=plaintext, fontname=\"DejaVu Sans\", fontsize=12];\n";
  dot += "  edge [arrowsize=0.8];\n";
  // Sequential models name their input after the first layer, graph models name it (Keras).
  const std::string input_name =
      model.is_graph() ? model.input_name()
                       : (model.size() > 0 ? model.entry(0).name : "model") + "_input";
  const std::string input = fmt::format("[{}]", model.input_shape().keras_str());  // as Keras
  dot += node(0, input_name, "InputLayer", input, input, "", options.show_shapes);
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto& e = model.entry(i);
    std::int64_t params = 0;
    for (const auto& slot : e.slots) {
      params += slot.shape.elements();
    }
    std::vector<std::string> inputs;
    for (const Shape& shape : e.input_shapes) {
      inputs.push_back(shape.keras_str());
    }
    // Keras prints a merge layer's input shapes as a list.
    const std::string input_shapes =
        inputs.size() == 1 ? inputs.front() : fmt::format("[{}]", fmt::join(inputs, ", "));
    dot += node(i + 1, e.name, e.layer->type(), input_shapes, e.output_shape.keras_str(),
                with_thousands(params), options.show_shapes);
  }
  for (std::size_t i = 0; i < model.size(); ++i) {
    for (const long from : model.entry(i).inputs) {
      dot += fmt::format("  n{} -> n{};\n", from + 1, i + 1);
    }
  }
  dot += "}\n";
  return dot;
}

std::string render_dot(const std::string& dot, const std::string& format) {
  if (format == "dot") {
    return dot;
  }
  if (format != "png" && format != "svg") {
    throw ConfigError(fmt::format("unknown diagram format '{}' (known: png, svg, dot)", format));
  }
  std::lock_guard lock(graphviz_mutex);
  graphviz_messages().clear();
  agseterr(AGWARN);
  agseterrf(collect_message);
  GVC_t* const gvc = graphviz_context();
  std::unique_ptr<Agraph_t, decltype(&agclose)> graph(agmemread(dot.c_str()), agclose);
  if (!graph) {
    throw Error("Graphviz could not read the model diagram: " + graphviz_messages());
  }
  if (gvLayout(gvc, graph.get(), "dot") != 0) {
    throw Error("Graphviz could not lay out the model diagram: " + graphviz_messages());
  }
  char* data = nullptr;
  unsigned int length = 0;
  const int status = gvRenderData(gvc, graph.get(), format.c_str(), &data, &length);
  std::string bytes = status == 0 && data != nullptr ? std::string(data, length) : std::string();
  gvFreeRenderData(data);
  gvFreeLayout(gvc, graph.get());
  if (status != 0 || bytes.empty()) {
    throw Error(fmt::format("Graphviz could not render the model diagram as {}: {}", format,
                            graphviz_messages().empty() ? "no renderer for it (is the graphviz "
                                                          "plugin package installed?)"
                                                        : graphviz_messages()));
  }
  return bytes;
}

}  // namespace runner::plot
