#pragma once
// The data source contract and registry (the YAML `data.train`, `data.validation`,
// `data.test`). Each file in data/sources/ defines a source with a schema() and a create(),
// registered with RUNNER_REGISTER_DATA_SOURCE, so a new format is one file plus its test.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/features.hpp"
#include "framework/core/registry.hpp"

namespace runner {

// Labels as the file holds them: numbers (`width` per sample) or names (one per sample).
struct LabelColumn {
  std::vector<double> numbers;     // count * width, or empty
  std::vector<std::string> names;  // count, or empty: text labels (CSV)
  std::int64_t width = 1;
  std::string origin;               // "data/x.csv, column 'species'" (messages)
  std::vector<std::int64_t> lines;  // where sample i is in the file (CSV lines); empty: item i
};

// What a source read: the inputs, their labels, and the class names the format knows (image
// folders' subfolders, Fashion-MNIST's), if any.
struct SourceData {
  FeatureArray x;
  LabelColumn y;
  std::vector<std::string> class_names;
  std::vector<std::string> feature_names;  // CSV: the feature columns, in input order
  std::string description;                 // "data/x.csv" (the summary line and messages)
};

struct LoadContext {
  std::optional<std::int64_t> limit;  // keep the first `limit` samples
  std::optional<Shape> input_shape;   // the model's, when declared (image folders resize to it)
};

class DataSource {
 public:
  virtual ~DataSource() = default;
  // Registry key and YAML `type:` ("csv", "npy", ...).
  [[nodiscard]] virtual std::string_view type() const = 0;
  // Reads and checks the whole source; throws DataError naming the file (and line or item).
  [[nodiscard]] virtual SourceData load(const LoadContext& context) const = 0;
  // The resolved parameters (config.yaml).
  [[nodiscard]] YAML::Node config() const { return YAML::Clone(config_); }

 protected:
  YAML::Node config_;
};

using DataSourceRegistry = Registry<DataSource>;
DataSourceRegistry& data_source_registry();

// "item 12" or "line 14": where sample i of `labels` is, for messages.
std::string sample_place(const LabelColumn& labels, std::int64_t i);

}  // namespace runner

#define RUNNER_REGISTER_DATA_SOURCE(Class)                       \
  [[maybe_unused]] static const bool runner_registered_##Class = \
      (::runner::data_source_registry().add(Class::schema(), &Class::create), true)

namespace runner {
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";
// Fashion-MNIST's class names, in label order.
const std::vector<std::string>& fashion_mnist_classes();
}  // namespace runner
