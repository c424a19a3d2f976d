#include "framework/config/experiment.hpp"

#include <fmt/format.h>

#include <regex>

#include "framework/config/overrides.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"
#include "framework/nn/layer_registry.hpp"

namespace runner {

namespace {

// A layer's `inputs`: one name or a list of names; empty when the key is absent.
std::vector<std::string> layer_inputs(const YAML::Node& layer, const std::string& path,
                                      Diagnostics& diag) {
  if (!layer.IsMap()) {
    return {};
  }
  const YAML::Node node = layer["inputs"];
  if (!node.IsDefined() || node.IsNull()) {
    return {};
  }
  if (node.IsScalar()) {
    return {node.Scalar()};
  }
  std::vector<std::string> names;
  if (node.IsSequence() && node.size() > 0) {
    for (const auto& item : node) {
      if (!item.IsScalar()) {
        names.clear();
        break;
      }
      names.push_back(item.Scalar());
    }
  }
  if (names.empty()) {
    diag.error(node, path + ".inputs",
               "expected a layer name or a non-empty list of layer names, got " + describe(node));
  }
  return names;
}

// Creates each layer of `layers` and adds it to `model` with its inputs. Problems go to diag
// (a layer that cannot be created is left out).
void add_layers(Model& model, const std::vector<YAML::Node>& layers, Diagnostics& diag,
                std::uint64_t seed) {
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string path = fmt::format("model.layers[{}]", i);
    LayerSpec spec(layers[i], path, diag, i, seed);
    const std::vector<std::string> inputs = layer_inputs(layers[i], path, diag);
    auto layer = layer_registry().create(spec);
    if (!layer) {
      continue;
    }
    try {
      model.add(std::move(layer), spec.name(), inputs);
    } catch (const Error& err) {
      const bool unknown_input = std::string_view(err.what()).starts_with("input ");
      const YAML::Node at = layers[i];
      diag.error(unknown_input ? at["inputs"] : at, path + (unknown_input ? ".inputs" : ".name"),
                 err.what());
    }
  }
}

void read_model(MapReader& top, Experiment& e) {
  Diagnostics& diag = top.diagnostics();
  MapReader m(top.child("model"), "model", diag);
  if (!top.has("model")) {
    diag.error(top.node(), "", "missing required key 'model'");
  }
  const std::optional<std::string> model_name = m.get<std::string>("name");
  bool graph = false;  // some layer names its inputs
  e.input_name = m.get_or<std::string>("input_name", "input_1", folder_name());
  if (auto dims = m.get<std::vector<std::int64_t>>("input_shape")) {
    bool ok = !dims->empty() && dims->size() <= 3;
    for (auto d : *dims) {
      ok = ok && d > 0 && d <= 65536;
    }
    if (ok) {
      e.input_shape = Shape(*dims);
    } else {
      diag.error(m.child("input_shape"), "model.input_shape",
                 "expected 1 to 3 positive sizes up to 65536, e.g. [28, 28, 1]");
    }
  }
  const YAML::Node layers = m.child("layers");
  if (!layers.IsDefined() || layers.IsNull()) {
    if (top.has("model")) {
      diag.error(m.node(), "model", "missing required key 'layers'");
    }
  } else if (!layers.IsSequence() || layers.size() == 0) {
    diag.error(layers, "model.layers",
               "expected a non-empty list of layers, got " + describe(layers));
  } else {
    for (std::size_t i = 0; i < layers.size(); ++i) {
      e.layers.push_back(layers[i]);
    }
    // Creating the layers checks their arguments and inputs; the model is built later.
    Model unbuilt;
    unbuilt.set_input_name(e.input_name);
    add_layers(unbuilt, e.layers, diag, e.seed);
    graph = unbuilt.is_graph();
  }
  // Keras' default names: "sequential" for a Sequential model, "model" for a Functional one.
  e.model_name = model_name.value_or(graph ? "model" : "sequential");
  m.reject_unknown();
}

void read_fit(MapReader& top, Experiment& e) {
  MapReader f(top.child("fit"), "fit", top.diagnostics());
  e.epochs = f.get_or<std::int64_t>("epochs", 1, positive());
  e.batch_size = f.get_or<std::int64_t>("batch_size", 32, positive());
  e.initial_epoch = f.get_or<std::int64_t>("initial_epoch", 0, at_least(0));
  e.shuffle = f.get_or<bool>("shuffle", true);
  if (e.initial_epoch >= e.epochs && f.has("initial_epoch")) {
    top.diagnostics().error(
        f.child("initial_epoch"), "fit.initial_epoch",
        fmt::format("expected a value below fit.epochs ({}), got {}", e.epochs, e.initial_epoch));
  }
  if (e.batch_size > (std::int64_t{1} << 20)) {
    top.diagnostics().error(f.child("batch_size"), "fit.batch_size",
                            fmt::format("expected at most 1048576, got {}", e.batch_size));
  }
  f.reject_unknown();
}

void read_outputs(MapReader& top, Experiment& e) {
  Diagnostics& diag = top.diagnostics();
  const std::vector<std::string> splits{"train", "validation", "test"};
  if (auto list = top.get<std::vector<std::string>>("evaluate")) {
    e.evaluate = *list;
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (auto problem = one_of(splits)((*list)[i])) {
        diag.error(top.child("evaluate")[i], fmt::format("evaluate[{}]", i), *problem);
      }
    }
  }
  const YAML::Node predict = top.child("predict");
  if (predict.IsDefined() && !predict.IsNull()) {
    if (!predict.IsSequence()) {
      diag.error(predict, "predict", "expected a list of {split, index}, got " + describe(predict));
      return;
    }
    for (std::size_t i = 0; i < predict.size(); ++i) {
      MapReader p(predict[i], fmt::format("predict[{}]", i), diag);
      PredictRequest request;
      request.split = p.get_or<std::string>("split", "validation", one_of(splits));
      request.index = p.require<std::int64_t>("index", 0, at_least(0));
      p.reject_unknown();
      e.predict.push_back(request);
    }
  }
}

}  // namespace

Experiment parse_experiment(YAML::Node root, const std::string& file,
                            const std::vector<std::string>& overrides) {
  Diagnostics diag(file);
  Experiment e;
  e.file = file;
  for (const auto& assignment : overrides) {
    const std::string path = apply_override(root, assignment, diag);
    e.overrides.push_back(path + "=" + assignment.substr(assignment.find('=') + 1));
  }
  e.root = root;
  if (!root.IsMap()) {
    throw ConfigError(diag.locate(root, ""), "",
                      "expected a mapping of experiment settings, got " + describe(root));
  }
  MapReader top(root, "", diag);
  e.name = top.require<std::string>("name", "experiment", folder_name());
  e.seed = static_cast<std::uint32_t>(
      top.get_or<std::int64_t>("seed", 42, [](const std::int64_t& v) -> std::optional<std::string> {
        if (v >= 0 && v <= 0xFFFFFFFFLL) {
          return std::nullopt;
        }
        return fmt::format("expected an integer in [0, 4294967295], got {}", v);
      }));
  e.results_dir = top.get_or<std::string>("results_dir", "results");
  read_data(top, e);
  read_model(top, e);
  read_compile(top, e);
  read_fit(top, e);
  read_callbacks(top, e);
  read_outputs(top, e);
  // A resolved config.yaml lists the --set assignments it was made with; informational only.
  (void)top.get<std::vector<std::string>>("overrides");
  top.reject_unknown();
  if (!e.data.class_names.empty() && !e.data.dataset.empty() && e.data.class_names.size() != 10) {
    const YAML::Node& const_root = root;  // const: operator[] must not insert
    diag.error(const_root["data"]["class_names"], "data.class_names",
               fmt::format("expected 10 names (one per class), got {}", e.data.class_names.size()));
  }
  diag.throw_if_any();
  return e;
}

Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_experiment(load_yaml_file(path), path, overrides);
}

namespace {
std::string source_type(const TypedSpec& spec) {
  const YAML::Node& node = spec.node;
  if (node.IsScalar()) {
    return node.Scalar();
  }
  return node.IsMap() && node["type"].IsScalar() ? node["type"].Scalar() : "data";
}
}  // namespace

Shape declared_input_shape(const Experiment& e) {
  if (e.input_shape) {
    return *e.input_shape;
  }
  if (!e.data.dataset.empty()) {
    return Shape{28, 28, 1};  // Fashion-MNIST
  }
  throw ConfigError(
      fmt::format("{}: model.input_shape is needed here (the input shape of a "
                  "{} source is known only after reading it)",
                  e.file, source_type(e.data.train)));
}

Model build_model(const Experiment& experiment, const Shape& input_shape) {
  return build_layers(experiment.layers, input_shape, experiment.seed, experiment.file,
                      experiment.input_name);
}

Model build_layers(const std::vector<YAML::Node>& layers, const Shape& input_shape,
                   std::uint32_t seed, const std::string& file, const std::string& input_name) {
  Diagnostics diag(file);
  Model model;
  model.set_input_name(input_name);
  add_layers(model, layers, diag, seed);
  try {
    diag.throw_if_any();
    model.build(input_shape, seed);
  } catch (const ShapeError& err) {
    if (err.layer_index() < 0) {
      throw;
    }
    const auto i = static_cast<std::size_t>(err.layer_index());
    throw ConfigError(diag.locate(layers[i], fmt::format("model.layers[{}]", i)),
                      fmt::format("model.layers[{}]", i), err.what());
  }
  return model;
}

YAML::Node resolved_config(const Experiment& e, const Model& model) {
  YAML::Node root;
  root["name"] = e.name;
  root["seed"] = e.seed;
  root["results_dir"] = e.results_dir;
  root["data"] = resolved_data(e);
  YAML::Node m;
  m["name"] = e.model_name;
  YAML::Node shape(YAML::NodeType::Sequence);
  for (auto d : model.input_shape().dims()) {
    shape.push_back(d);
  }
  shape.SetStyle(YAML::EmitterStyle::Flow);
  m["input_shape"] = shape;
  if (model.input_name() != "input_1") {
    m["input_name"] = model.input_name();
  }
  for (std::size_t i = 0; i < model.size(); ++i) {
    const YAML::Node config = model.entry(i).layer->config();
    YAML::Node layer;
    layer["type"] = config["type"];
    layer["name"] = model.entry(i).name;
    if (model.is_graph()) {
      YAML::Node inputs(YAML::NodeType::Sequence);
      for (const long input : model.entry(i).inputs) {
        inputs.push_back(input == Model::kModelInput
                             ? model.input_name()
                             : model.entry(static_cast<std::size_t>(input)).name);
      }
      inputs.SetStyle(YAML::EmitterStyle::Flow);
      layer["inputs"] = inputs;
    }
    for (const auto& kv : config) {
      if (kv.first.Scalar() != "type") {
        layer[kv.first.Scalar()] = kv.second;
      }
    }
    layer.SetStyle(YAML::EmitterStyle::Flow);
    m["layers"].push_back(layer);
  }
  root["model"] = m;
  root["compile"] = resolved_compile(e);
  YAML::Node fit;
  fit["epochs"] = e.epochs;
  fit["batch_size"] = e.batch_size;
  fit["initial_epoch"] = e.initial_epoch;
  fit["shuffle"] = e.shuffle;
  root["fit"] = fit;
  root["callbacks"] = resolved_callbacks(e);
  YAML::Node evaluate(YAML::NodeType::Sequence);
  for (const auto& s : e.evaluate) {
    evaluate.push_back(s);
  }
  root["evaluate"] = evaluate;
  YAML::Node predict(YAML::NodeType::Sequence);
  for (const auto& p : e.predict) {
    YAML::Node item;
    item["split"] = p.split;
    item["index"] = p.index;
    item.SetStyle(YAML::EmitterStyle::Flow);
    predict.push_back(item);
  }
  root["predict"] = predict;
  if (!e.overrides.empty()) {
    root["overrides"] = e.overrides;
  }
  return root;
}

std::string config_fingerprint(const Experiment& experiment, const Model& model) {
  YAML::Node resolved = resolved_config(experiment, model);
  resolved.remove("overrides");
  resolved.remove("results_dir");
  YAML::Emitter text;
  text << resolved;
  return config_hash(text.c_str());
}

std::string config_hash(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace runner
