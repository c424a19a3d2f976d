#include "framework/io/checkpoint.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "framework/config/experiment.hpp"
#include "framework/core/abandon.hpp"
#include "framework/core/errors.hpp"
#include "framework/core/file_util.hpp"
#include "framework/core/text.hpp"
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
  if (model.is_graph()) {
    // A Functional model's layers include its InputLayer (a group without weights).
    names.push_back(model.input_name());
    root.create_group(model.input_name()).write_empty_list_attribute("weight_names");
  }
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
  const auto slots = const_cast<Optimizer&>(optimizer).slots();
  // Keras' order (a loader that sets them as a list depends on it): slot groups in order,
  // each group's slots variable by variable.
  auto groups = optimizer.keras_slot_groups();
  if (groups.empty()) {
    groups.emplace_back();
    for (const auto& slot : slots) {
      groups.back().push_back(slot.first);
    }
  }
  for (const auto& slot_group : groups) {
    std::size_t offset = 0;
    for (std::size_t i = 0; i < model.size(); ++i) {
      const auto& e = model.entry(i);
      for (const auto& slot : e.slots) {
        if (!slot.trainable) {
          continue;  // the optimizer never sees moving statistics; its slots follow the rest
        }
        for (const auto& slot_name : slot_group) {
          const auto found = std::find_if(slots.begin(), slots.end(),
                                          [&](const auto& s) { return s.first == slot_name; });
          if (found == slots.end()) {
            continue;  // e.g. no vhat without amsgrad
          }
          const std::vector<float>& buffer = *found->second;
          const std::string name =
              fmt::format("{}/{}/{}", prefix, slot_name, weight_name(e.name, slot.name));
          if (buffer.size() >= offset + static_cast<std::size_t>(slot.shape.elements())) {
            group.write_floats(name, slot.shape, buffer.data() + offset);
            names.push_back(name);
          }
        }
        offset += static_cast<std::size_t>(slot.shape.elements());
      }
    }
  }
  group.write_string_list_attribute("weight_names", names);
}
}  // namespace

std::string keras_optimizer_name(std::string_view type) {
  const Schema* schema = optimizer_registry().schema(type);
  return schema != nullptr ? schema->keras_class() : std::string(type);
}

namespace {
YAML::Node input_layer_config(const Model& model, const std::string& name) {
  YAML::Node shape(YAML::NodeType::Sequence);
  shape.push_back(YAML::Node(YAML::NodeType::Null));
  for (auto d : model.input_shape().dims()) {
    shape.push_back(d);
  }
  YAML::Node config;
  config["batch_input_shape"] = shape;
  config["dtype"] = "float32";
  config["sparse"] = false;
  config["ragged"] = false;
  config["name"] = name;
  return config;
}

YAML::Node keras_layer_config(const Model::Entry& e) {
  YAML::Node config;
  config["name"] = e.name;
  config["trainable"] = true;
  config["dtype"] = "float32";
  const std::string type(e.layer->type());
  for (const auto& kv : layer_registry().schema(type)->to_keras(e.layer->config())) {
    config[kv.first.Scalar()] = kv.second;
  }
  return config;
}

// [name, 0, 0] (+ {} for inbound nodes): Keras' reference to a layer's first output.
YAML::Node node_reference(const std::string& name, bool with_kwargs) {
  YAML::Node ref(YAML::NodeType::Sequence);
  ref.push_back(name);
  ref.push_back(0);
  ref.push_back(0);
  if (with_kwargs) {
    ref.push_back(YAML::Node(YAML::NodeType::Map));
  }
  return ref;
}

// Keras 2.11's Functional get_config (keras/engine/functional.py, get_network_config).
YAML::Node functional_config(const Model& model, const std::string& model_name) {
  YAML::Node layers(YAML::NodeType::Sequence);
  YAML::Node input;
  input["class_name"] = "InputLayer";
  input["config"] = input_layer_config(model, model.input_name());
  input["name"] = model.input_name();
  input["inbound_nodes"] = YAML::Node(YAML::NodeType::Sequence);
  layers.push_back(input);
  for (std::size_t i = 0; i < model.size(); ++i) {
    const auto& e = model.entry(i);
    YAML::Node node(YAML::NodeType::Sequence);
    for (const long from : e.inputs) {
      node.push_back(node_reference(from == Model::kModelInput
                                        ? model.input_name()
                                        : model.entry(static_cast<std::size_t>(from)).name,
                                    true));
    }
    YAML::Node layer;
    layer["class_name"] = std::string(e.layer->type());
    layer["config"] = keras_layer_config(e);
    layer["name"] = e.name;
    layer["inbound_nodes"].push_back(node);
    layers.push_back(layer);
  }
  YAML::Node config;
  config["name"] = model_name;
  config["layers"] = layers;
  config["input_layers"].push_back(node_reference(model.input_name(), false));
  config["output_layers"].push_back(node_reference(model.entry(model.size() - 1).name, false));
  return config;
}
}  // namespace

std::string keras_model_config(const Model& model, const std::string& model_name) {
  YAML::Node root;
  if (model.is_graph()) {
    root["class_name"] = "Functional";
    root["config"] = functional_config(model, model_name);
  } else {
    YAML::Node layers(YAML::NodeType::Sequence);
    YAML::Node input;
    input["class_name"] = "InputLayer";
    input["config"] = input_layer_config(model, model.entry(0).name + "_input");
    layers.push_back(input);
    for (std::size_t i = 0; i < model.size(); ++i) {
      YAML::Node layer;
      layer["class_name"] = std::string(model.entry(i).layer->type());
      layer["config"] = keras_layer_config(model.entry(i));
      layers.push_back(layer);
    }
    root["class_name"] = "Sequential";
    root["config"]["name"] = model_name;
    root["config"]["layers"] = layers;
  }
  root["keras_version"] = kKerasVersion;
  root["backend"] = "tensorflow";
  return to_json(root);
}

namespace {
// A map's value, or a valid Undefined node (yaml-cpp's missing-key nodes throw on use).
// Keras stamps its files with keras_version and backend (the file, and the weights group).
// Keras 1 and Theano/CNTK files store weights in other layouts (Keras 2 converts them when it
// loads them; runner does not), and Keras 3's are unknown to it: refuse those with the reason.
// Files without the attributes (written by other tools) are read.
void check_origin(const h5::Object& object, const std::string& path) {
  if (object.has_attribute("keras_version")) {
    const std::string version = object.read_string_attribute("keras_version");
    if (!version.starts_with("2.")) {
      throw CheckpointError(fmt::format(
          "{}: written by Keras {}; runner reads the HDF5 files of Keras 2 (it writes {}'s)", path,
          version.empty() ? "(empty version)" : version, kKerasVersion));
    }
  }
  if (object.has_attribute("backend")) {
    const std::string backend = object.read_string_attribute("backend");
    if (backend != "tensorflow") {
      throw CheckpointError(fmt::format(
          "{}: written with Keras' '{}' backend; runner reads TensorFlow's weight layout only",
          path, backend));
    }
  }
}

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

namespace {
// A Functional layer's inputs: the names in its one inbound node ([[name, 0, 0, {}], ...]).
YAML::Node functional_inputs(const YAML::Node& layer, const std::string& name,
                             const std::string& where) {
  const YAML::Node nodes = field(layer, "inbound_nodes");
  if (!nodes.IsSequence() || nodes.size() != 1 || !nodes[0].IsSequence() || nodes[0].size() == 0) {
    throw CheckpointError(fmt::format(
        "{}: layer '{}' is called {} times; runner's graph models call each layer once (no "
        "shared layers)",
        where, name, nodes.IsSequence() ? nodes.size() : 0));
  }
  YAML::Node inputs(YAML::NodeType::Sequence);
  for (const auto& ref : nodes[0]) {
    const bool plain = ref.IsSequence() && ref.size() >= 3 && ref[0].IsScalar() &&
                       text(ref[1]) == "0" && text(ref[2]) == "0" &&
                       (ref.size() == 3 || (ref[3].IsMap() && ref[3].size() == 0));
    if (!plain) {
      throw CheckpointError(fmt::format(
          "{}: layer '{}' reads an input runner cannot express ({}); runner reads the first "
          "output of a layer called once, without call arguments",
          where, name, to_json(ref)));
    }
    inputs.push_back(ref[0].Scalar());
  }
  inputs.SetStyle(YAML::EmitterStyle::Flow);
  return inputs;
}

// The one [name, 0, 0] of Keras' input_layers or output_layers.
std::string single_endpoint(const YAML::Node& config, const std::string& key,
                            const std::string& where) {
  const YAML::Node list = field(config, key);
  if (!list.IsSequence() || list.size() != 1 || !list[0].IsSequence() || list[0].size() == 0) {
    throw CheckpointError(
        fmt::format("{}: the model has {} {}; runner's graph models have one "
                    "input and one output",
                    where, list.IsSequence() ? list.size() : 0, key));
  }
  return text(list[0][0]);
}
}  // namespace

YAML::Node model_section_from_keras(const std::string& json, const std::string& where) {
  const YAML::Node root = parse_json(json, where);
  const YAML::Node config = field(root, "config");
  const YAML::Node layers_in = field(config, "layers");
  const std::string model_class = text(field(root, "class_name"));
  // "Model" is how Keras before 2.4 named Functional models.
  const bool functional = model_class == "Functional" || model_class == "Model";
  if ((model_class != "Sequential" && !functional) || !layers_in.IsSequence()) {
    throw CheckpointError(fmt::format(
        "{}: only Sequential and Functional Keras models can be loaded (this one is '{}')", where,
        model_class));
  }
  YAML::Node section;
  const std::string default_name = functional ? "model" : "sequential";
  section["name"] =
      text(field(config, "name")).empty() ? default_name : text(field(config, "name"));
  std::string output_name;
  if (functional) {
    section["input_name"] = single_endpoint(config, "input_layers", where);
    output_name = single_endpoint(config, "output_layers", where);
  }
  YAML::Node layers(YAML::NodeType::Sequence);
  bool have_shape = false;
  std::string last_name;
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
      if (functional && text(field(lc, "name")) != text(section["input_name"])) {
        throw CheckpointError(fmt::format(
            "{}: the model has a second input '{}'; runner's graph models have one input", where,
            text(field(lc, "name"))));
      }
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
    last_name = text(field(lc, "name"));
    ours["name"] = last_name;
    if (functional) {
      ours["inputs"] = functional_inputs(layer, last_name, where);
    }
    layers.push_back(ours);
  }
  if (functional && output_name != last_name) {
    throw CheckpointError(fmt::format(
        "{}: the model's output is layer '{}', not the last layer listed ('{}'); runner's graph "
        "models end with their output",
        where, output_name, last_name));
  }
  section["layers"] = layers;
  return section;
}

void save_checkpoint(const std::filesystem::path& path, const Model& model,
                     const CheckpointInfo& info, const Optimizer* optimizer, bool weights_only) {
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    h5::Object file = h5::create_file(tmp.string());
    if (!info.runner_config.empty()) {
      file.write_string_attribute("runner_config", info.runner_config);
    }
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

namespace {
// HDF5 1.10.8 can loop forever inside H5Aread on a crafted file (a damaged global heap), and
// nothing cancels a library call: reading a checkpoint has a time limit, 60 s or
// $RUNNER_CHECKPOINT_TIMEOUT seconds, after which the process ends with the file named.
Deadline reading_deadline(const std::filesystem::path& path) {
  double seconds = 60;
  if (const char* text = std::getenv("RUNNER_CHECKPOINT_TIMEOUT"); text != nullptr) {
    if (const auto value = parse_number(text); value && *value > 0) {
      seconds = *value;
    }
  }
  return Deadline(std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)),
                  fmt::format("{}: reading it took over {} s, so it was abandoned (HDF5 can loop "
                              "forever on a damaged or crafted file)",
                              path.string(), seconds));
}
}  // namespace

void load_weights(Model& model, const std::filesystem::path& path) {
  const Deadline deadline = reading_deadline(path);
  const h5::Object file = h5::open_file(path.string());
  check_origin(file, path.string());
  // model.save() nests the weights in /model_weights; save_weights() puts them at the root.
  h5::Object nested;
  if (file.has("model_weights")) {
    nested = file.group("model_weights");
    check_origin(nested, path.string());
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

SavedOptimizerState load_optimizer_state(const std::filesystem::path& path, const Model& model) {
  const h5::Object file = h5::open_file(path.string());
  if (!file.has("optimizer_weights")) {
    throw CheckpointError(fmt::format("{}: no optimizer state (saved without it)", path.string()));
  }
  const h5::Object group = file.group("optimizer_weights");
  SavedOptimizerState out;
  const auto iterations = group.read_int64s("iteration:0");
  if (iterations.size() != 1 || iterations[0] < 0) {
    throw CheckpointError(fmt::format("{}: not an iteration count", group.where("iteration:0")));
  }
  out.iterations = iterations[0];
  // Names are "<Optimizer>/<slot>/<layer>/<weight>:0": the slots in the order they first appear.
  std::string prefix;
  std::vector<std::string> slot_names;
  for (const auto& name : group.read_string_list_attribute("weight_names")) {
    const auto first = name.find('/');
    const auto second = first == std::string::npos ? first : name.find('/', first + 1);
    if (second == std::string::npos) {
      continue;  // iteration:0
    }
    prefix = name.substr(0, first);
    const std::string slot = name.substr(first + 1, second - first - 1);
    if (std::find(slot_names.begin(), slot_names.end(), slot) == slot_names.end()) {
      slot_names.push_back(slot);
    }
  }
  for (const auto& slot_name : slot_names) {
    std::vector<float>& buffer = out.slots[slot_name];
    for (std::size_t i = 0; i < model.size(); ++i) {
      const auto& e = model.entry(i);
      for (const auto& slot : e.slots) {
        if (!slot.trainable) {
          continue;  // as write_optimizer: moving statistics have no optimizer slots
        }
        const std::size_t offset = buffer.size();
        buffer.resize(offset + static_cast<std::size_t>(slot.shape.elements()));
        group.read_floats(
            fmt::format("{}/{}/{}", prefix, slot_name, weight_name(e.name, slot.name)), slot.shape,
            buffer.data() + offset);
      }
    }
  }
  return out;
}

LoadedModel load_model_checkpoint(const std::filesystem::path& path) {
  const Deadline deadline = reading_deadline(path);
  LoadedModel out;
  {
    const h5::Object file = h5::open_file(path.string());
    check_origin(file, path.string());
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
  const auto input_name = section.get_or<std::string>("input_name", "input_1");
  const YAML::Node layers = section.child("layers");
  diag.throw_if_any();
  if (dims.empty() || !layers.IsSequence()) {
    throw CheckpointError(
        fmt::format("{}: the model description lacks input_shape or layers", where));
  }
  std::vector<YAML::Node> layer_nodes(layers.begin(), layers.end());
  try {
    out.model = build_layers(layer_nodes, Shape(dims), 0, where, input_name);
  } catch (const ConfigError& e) {
    throw CheckpointError(
        fmt::format("cannot rebuild the model from {}: {}", path.string(), e.what()));
  }
  load_weights(out.model, path);
  return out;
}

}  // namespace runner
