// The experiment's `data:` block: the short form (`dataset: fashion_mnist`, `path`) or data
// sources by role (`train`, `validation`, `test`), the split, and the preprocessing.
#include <fmt/format.h>

#include "data/preprocessing.hpp"
#include "framework/config/typed_specs.hpp"
#include "framework/core/errors.hpp"

namespace runner {

namespace {

// The short form's source for one part of Fashion-MNIST.
TypedSpec fashion_part(const std::string& path, const std::string& part) {
  YAML::Node node;
  node["type"] = "fashion_mnist";
  node["path"] = path;
  node["part"] = part;
  return TypedSpec{"fashion_mnist", node, "data"};
}

std::optional<TypedSpec> read_source(MapReader& d, const std::string& role, Experiment& e) {
  const YAML::Node node = d.child(role);
  if (!node.IsDefined() || node.IsNull()) {
    return std::nullopt;
  }
  TypedSpec spec{"", node, "data." + role};
  (void)check_entry(data_source_registry(), spec, d.diagnostics(), e.seed);
  return spec;
}

void read_preprocessing(MapReader& d, DataSettings& data) {
  MapReader p(d.child("preprocessing"), "data.preprocessing", d.diagnostics());
  const YAML::Node scale = p.child("scale");
  if (scale.IsDefined() && !scale.IsNull()) {
    Preprocessing probe;
    if (!scale.IsScalar() || (scale.Scalar() != "auto" && !parse_scale(scale.Scalar(), probe))) {
      d.diagnostics().error(
          scale, "data.preprocessing.scale",
          "expected auto, a positive number or a fraction such as 1/255, got " + describe(scale));
    } else {
      data.scale = scale.Scalar();
    }
  }
  data.standardize = p.get_or<bool>("standardize", false);
  data.one_hot = p.get_or<bool>("one_hot", false);
  p.reject_unknown();
}

}  // namespace

void read_data(MapReader& top, Experiment& e) {
  Diagnostics& diag = top.diagnostics();
  MapReader d(top.child("data"), "data", diag);
  DataSettings& data = e.data;
  if (d.has("train")) {
    for (const char* key : {"dataset", "path"}) {
      if (d.has(key)) {
        diag.error(d.child(key), std::string("data.") + key,
                   fmt::format("'{}' belongs to the short form (dataset: fashion_mnist); with "
                               "data.train, give each source its own settings",
                               key));
      }
    }
    if (auto train = read_source(d, "train", e)) {
      data.train = *train;
    }
    data.validation = read_source(d, "validation", e);
    data.test = read_source(d, "test", e);
  } else {
    (void)d.child("train");  // child() lists it among the known keys in messages
    for (const char* key : {"validation", "test"}) {
      const YAML::Node node = d.child(key);
      if (node.IsDefined()) {
        diag.error(node, std::string("data.") + key,
                   "a validation or test source needs a training source: add data.train");
      }
    }
    data.dataset = d.get_or<std::string>("dataset", "fashion_mnist", one_of({"fashion_mnist"}));
    data.path = d.get_or<std::string>("path", kFashionMnistDir);
    data.train = fashion_part(data.path, "train");
    data.test = fashion_part(data.path, "test");
  }
  const bool own_validation = data.validation.has_value();
  data.split.validation_split = d.get_or<double>("validation_split", own_validation ? 0.0 : 0.2,
                                                 in_range(0.0, 1.0, /*hi_open=*/true));
  if (own_validation && data.split.validation_split > 0) {
    diag.error(d.child("validation_split"), "data.validation_split",
               "there is a validation source (data.validation); validation_split would hold out "
               "more: remove one of them");
  }
  data.split.test_split = d.get_or<double>("test_split", 0.0, in_range(0.0, 1.0, /*hi_open=*/true));
  if (data.test && data.split.test_split > 0) {
    diag.error(d.child("test_split"), "data.test_split",
               "there is a test source; test_split holds out part of the training source only "
               "when there is none: remove one of them");
  }
  if (data.split.validation_split + data.split.test_split >= 1) {
    diag.error(d.child("test_split"), "data.test_split",
               fmt::format("validation_split + test_split is {}; nothing would be left to train on",
                           data.split.validation_split + data.split.test_split));
  }
  data.split.stratify = d.get_or<bool>("stratify", false);
  data.limit = d.get<std::int64_t>("limit", positive());
  data.test_limit = d.get<std::int64_t>("test_limit", positive());
  data.class_names = d.get_or<std::vector<std::string>>("class_names", {});
  read_preprocessing(d, data);
  d.reject_unknown();
}

DataSources make_data_sources(const Experiment& e) {
  auto make_source = [&](const TypedSpec& spec) {
    Diagnostics diag(e.file);
    Spec s(spec.node, spec.key_path, diag, 0, e.seed);
    auto source = data_source_registry().create(s);
    diag.throw_if_any();
    return source;
  };
  DataSources sources;
  sources.train = make_source(e.data.train);
  if (e.data.validation) {
    sources.validation = make_source(*e.data.validation);
  }
  if (e.data.test) {
    sources.test = make_source(*e.data.test);
  }
  sources.limit = e.data.limit;
  sources.test_limit = e.data.test_limit;
  return sources;
}

YAML::Node resolved_data(const Experiment& e) {
  const DataSettings& d = e.data;
  YAML::Node data;
  if (!d.dataset.empty()) {  // the short form, as before data sources existed
    data["dataset"] = d.dataset;
    data["path"] = d.path;
  } else {
    const DataSources sources = make_data_sources(e);
    data["train"] = sources.train->config();
    if (sources.validation) {
      data["validation"] = sources.validation->config();
    }
    if (sources.test) {
      data["test"] = sources.test->config();
    }
  }
  data["validation_split"] = yaml_number(d.split.validation_split);
  auto optional_int = [](const std::optional<std::int64_t>& v) {
    return v ? YAML::Node(*v) : YAML::Node(YAML::NodeType::Null);
  };
  data["limit"] = optional_int(d.limit);
  data["test_limit"] = optional_int(d.test_limit);
  if (!d.class_names.empty()) {
    data["class_names"] = d.class_names;
  }
  // Settings added with data sources: written when they differ from the default, so the
  // resolved config (and fingerprint) of earlier experiments is unchanged.
  if (d.split.test_split > 0) {
    data["test_split"] = yaml_number(d.split.test_split);
  }
  if (d.split.stratify) {
    data["stratify"] = true;
  }
  if (d.scale != "auto" || d.standardize || d.one_hot) {
    data["preprocessing"]["scale"] = d.scale;
    data["preprocessing"]["standardize"] = d.standardize;
    data["preprocessing"]["one_hot"] = d.one_hot;
  }
  return data;
}

}  // namespace runner
