#include "framework/io/checkpoint.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "framework/config/experiment.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/yaml_reader.hpp"
#include "framework/io/hdf5.hpp"
#include "framework/io/json.hpp"
#include "framework/nn/layer_registry.hpp"

namespace runner {

namespace {
constexpr const char* kKerasVersion = "2.11.0";

std::string weight_name(const std::string& layer, const std::string& slot) {
  return fmt::format("{}/{}:0", layer, slot);
}

void write_weights(const h5::Object& root, const Model& model) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < model.size(); ++i) {
    names.push_back(model.entry(i).name);
  }
  root.write_string_attribute("backend", "tensorflow");
  root.write_string_attribute("keras_version", kKerasVersion);
  root.write_string_list_attribute("layer_names", names);
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto& e = model.entry(i);
    const h5::Object group = root.create_group(e.name);
    if (e.slots.empty()) {
      group.write_empty_list_attribute("weight_names");
      continue;
    }
    std::vector<std::string> weight_names;
    for (std::size_t s = 0; s < e.slots.size(); ++s) {
      weight_names.push_back(weight_name(e.name, e.slots[s].name));
      group.write_floats(weight_names.back(), e.slots[s].shape, e.params[s].data);
    }
    group.write_string_list_attribute("weight_names", weight_names);
  }
}

void write_optimizer(const h5::Object& file, const Model& model, const Optimizer& optimizer) {
  const h5::Object group = file.create_group("optimizer_weights");
  std::vector<std::string> names{"iteration:0"};
  group.write_int64_scalar("iteration:0", optimizer.iterations());
  const std::string prefix = keras_optimizer_name(optimizer.type());
  auto slots = const_cast<Optimizer&>(optimizer).slots();
  std::size_t offset = 0;
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto& e = model.entry(i);
    for (const auto& slot : e.slots) {
      if (!slot.trainable) {
        continue;  // the optimizer never sees moving statistics; its slots follow the rest
      }
      for (const auto& [slot_name, buffer] : slots) {
        const std::string name =
            fmt::format("{}/{}/{}", prefix, slot_name, weight_name(e.name, slot.name));
        if (buffer->size() >= offset + static_cast<std::size_t>(slot.shape.elements())) {
          group.write_floats(name, slot.shape, buffer->data() + offset);
          names.push_back(name);
        }
      }
      offset += static_cast<std::size_t>(slot.shape.elements());
    }
  }
  group.write_string_list_attribute("weight_names", names);
}
}  // namespace

std::string keras_optimizer_name(std::string_view type) {
  const Schema* schema = optimizer_registry().schema(type);
  return schema != nullptr ? schema->keras_class() : std::string(type);
}

std::string keras_model_config(const Model& model, const std::string& model_name) {
  YAML::Node layers(YAML::NodeType::Sequence);
  YAML::Node input;
  input["class_name"] = "InputLayer";
  YAML::Node shape(YAML::NodeType::Sequence);
  shape.push_back(YAML::Node(YAML::NodeType::Null));
  for (auto d : model.input_shape().dims()) {
    shape.push_back(d);
  }
  input["config"]["batch_input_shape"] = shape;
  input["config"]["dtype"] = "float32";
  input["config"]["sparse"] = false;
  input["config"]["ragged"] = false;
  input["config"]["name"] = model.entry(0).name + "_input";
  layers.push_back(input);
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto& e = model.entry(i);
    const std::string type(e.layer->type());
    YAML::Node config;
    config["name"] = e.name;
    config["trainable"] = true;
    config["dtype"] = "float32";
    for (const auto& kv : layer_registry().schema(type)->to_keras(e.layer->config())) {
      config[kv.first.Scalar()] = kv.second;
    }
    YAML::Node layer;
    layer["class_name"] = type;
    layer["config"] = config;
    layers.push_back(layer);
  }
  YAML::Node root;
  root["class_name"] = "Sequential";
  root["config"]["name"] = model_name;
  root["config"]["layers"] = layers;
  root["keras_version"] = kKerasVersion;
  root["backend"] = "tensorflow";
  return to_json(root);
}

namespace {
// A map's value, or a valid Undefined node (yaml-cpp's missing-key nodes throw on use).
YAML::Node field(const YAML::Node& map, const std::string& key) {
  if (!map.IsDefined() || !map.IsMap()) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  const YAML::Node value = map[key];
  return value.IsDefined() ? value : YAML::Node(YAML::NodeType::Undefined);
}

std::string text(const YAML::Node& node) {
  return node.IsScalar() ? node.Scalar() : "";
}
}  // namespace

YAML::Node model_section_from_keras(const std::string& json, const std::string& where) {
  const YAML::Node root = parse_json(json, where);
  const YAML::Node config = field(root, "config");
  const YAML::Node layers_in = field(config, "layers");
  if (text(field(root, "class_name")) != "Sequential" || !layers_in.IsSequence()) {
    throw CheckpointError(fmt::format("{}: only Sequential Keras models can be loaded", where));
  }
  YAML::Node section;
  section["name"] =
      text(field(config, "name")).empty() ? "sequential" : text(field(config, "name"));
  YAML::Node layers(YAML::NodeType::Sequence);
  bool have_shape = false;
  for (const auto& layer : layers_in) {
    const std::string cls = text(field(layer, "class_name"));
    const YAML::Node lc = field(layer, "config");
    const YAML::Node batch_shape = field(lc, "batch_input_shape");
    if (batch_shape.IsSequence() && !have_shape) {
      YAML::Node shape(YAML::NodeType::Sequence);
      for (std::size_t i = 1; i < batch_shape.size(); ++i) {
        shape.push_back(batch_shape[i]);
      }
      section["input_shape"] = shape;
      have_shape = true;
    }
    if (cls == "InputLayer") {
      continue;
    }
    const std::string format = text(field(lc, "data_format"));
    if (!format.empty() && format != "channels_last") {
      throw CheckpointError(
          fmt::format("{}: layer '{}' uses data_format {}; only channels_last "
                      "is supported",
                      where, text(field(lc, "name")), format));
    }
    const Schema* schema = layer_registry().schema(cls);
    if (schema == nullptr) {
      throw CheckpointError(
          fmt::format("{}: layer '{}' is a {}, which runner does not have (known: {})", where,
                      text(field(lc, "name")), cls, fmt::join(layer_registry().types(), ", ")));
    }
    YAML::Node ours = schema->from_keras(lc);
    ours["name"] = text(field(lc, "name"));
    layers.push_back(ours);
  }
  section["layers"] = layers;
  return section;
}

void save_checkpoint(const std::filesystem::path& path, const Model& model,
                     const CheckpointInfo& info, const Optimizer* optimizer, bool weights_only) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    h5::Object file = h5::create_file(tmp.string());
    file.write_string_attribute("runner_config", info.runner_config);
    if (!info.experiment_yaml.empty()) {
      file.write_string_attribute("runner_experiment", info.experiment_yaml);
    }
    if (info.preprocessing) {
      write_preprocessing(file, "runner_preprocessing", *info.preprocessing);
    }
    if (weights_only) {
      write_weights(file, model);
      file.close();
      return;
    }
    file.write_string_attribute("backend", "tensorflow");
    file.write_string_attribute("keras_version", kKerasVersion);
    file.write_string_attribute("model_config", keras_model_config(model, info.model_name));
    if (!info.training_config.empty()) {
      file.write_string_attribute("training_config", info.training_config);
    }
    write_weights(file.create_group("model_weights"), model);
    if (optimizer != nullptr) {
      write_optimizer(file, model, *optimizer);
    }
    file.close();
  });
}

void load_weights(Model& model, const std::filesystem::path& path) {
  const h5::Object file = h5::open_file(path.string());
  // model.save() nests the weights in /model_weights; save_weights() puts them at the root.
  h5::Object nested;
  if (file.has("model_weights")) {
    nested = file.group("model_weights");
  }
  const h5::Object& root = file.has("model_weights") ? nested : file;
  const auto saved_names = root.read_string_list_attribute("layer_names");
  // Keras: keep the saved layers that have weights, and the model's layers that have them.
  std::vector<std::string> saved_with_weights;
  std::vector<std::vector<std::string>> saved_weight_names;
  for (const auto& name : saved_names) {
    const h5::Object group = root.group(name);
    auto weights = group.has_attribute("weight_names")
                       ? group.read_string_list_attribute("weight_names")
                       : std::vector<std::string>{};
    if (!weights.empty()) {
      saved_with_weights.push_back(name);
      saved_weight_names.push_back(std::move(weights));
    }
  }
  std::vector<std::size_t> ours;
  for (std::size_t i = 0; i < model.size(); ++i) {
    if (!model.entry(i).slots.empty()) {
      ours.push_back(i);
    }
  }
  if (ours.size() != saved_with_weights.size()) {
    std::vector<std::string> our_names;
    for (auto i : ours) {
      our_names.push_back(model.entry(i).name);
    }
    throw CheckpointError(
        fmt::format("{}: the file has {} layers with weights ({}), the model has {} ({})",
                    path.string(), saved_with_weights.size(), fmt::join(saved_with_weights, ", "),
                    ours.size(), fmt::join(our_names, ", ")));
  }
  // Read everything into a copy first, so a mismatch leaves the model untouched.
  std::vector<float> staged(model.parameters().begin(), model.parameters().end());
  const float* base = model.parameters().data();
  for (std::size_t k = 0; k < ours.size(); ++k) {
    const auto& e = model.entry(ours[k]);
    const h5::Object group = root.group(saved_with_weights[k]);
    const auto& names = saved_weight_names[k];
    if (names.size() != e.slots.size()) {
      throw CheckpointError(
          fmt::format("{}: layer '{}' has {} weights in the file, the model's "
                      "layer '{}' has {}",
                      group.where(), saved_with_weights[k], names.size(), e.name, e.slots.size()));
    }
    for (std::size_t s = 0; s < names.size(); ++s) {
      const auto offset = static_cast<std::size_t>(e.params[s].data - base);
      group.read_floats(names[s], e.slots[s].shape, staged.data() + offset);
    }
  }
  for (std::size_t i = 0; i < staged.size(); ++i) {
    if (!std::isfinite(staged[i])) {
      throw CheckpointError(
          fmt::format("{}: the weights contain NaN or infinite values", path.string()));
    }
  }
  std::copy(staged.begin(), staged.end(), model.parameters().begin());
}

LoadedModel load_model_checkpoint(const std::filesystem::path& path) {
  LoadedModel out;
  {
    const h5::Object file = h5::open_file(path.string());
    if (file.has_attribute("runner_experiment")) {
      out.experiment_yaml = file.read_string_attribute("runner_experiment");
    }
    out.preprocessing = read_preprocessing(file, "runner_preprocessing");
    if (file.has_attribute("runner_config")) {
      out.model_section = load_yaml_string(file.read_string_attribute("runner_config"),
                                           path.string() + ":runner_config");
    } else if (file.has_attribute("model_config")) {
      out.model_section = model_section_from_keras(file.read_string_attribute("model_config"),
                                                   path.string() + ":model_config");
    } else {
      throw CheckpointError(
          fmt::format("{}: no model description (neither runner_config nor Keras' model_config); a "
                      "weights-only Keras file needs the experiment file: use --experiment",
                      path.string()));
    }
  }
  const std::string where = path.string() + ":model";
  Diagnostics diag(where);
  MapReader section(out.model_section, "model", diag);
  out.model_name = section.get_or<std::string>("name", "sequential");
  const auto dims = section.get_or<std::vector<std::int64_t>>("input_shape", {});
  const YAML::Node layers = section.child("layers");
  diag.throw_if_any();
  if (dims.empty() || !layers.IsSequence()) {
    throw CheckpointError(
        fmt::format("{}: the model description lacks input_shape or layers", where));
  }
  std::vector<YAML::Node> layer_nodes(layers.begin(), layers.end());
  try {
    out.model = build_layers(layer_nodes, Shape(dims), 0, where);
  } catch (const ConfigError& e) {
    throw CheckpointError(
        fmt::format("cannot rebuild the model from {}: {}", path.string(), e.what()));
  }
  load_weights(out.model, path);
  return out;
}

}  // namespace runner
