#pragma once
// One `type:` entry of the experiment file (a layer, an optimizer, a callback) as its
// factory reads it. The string form (`optimizer: adam`) is a type without parameters.
#include <cstdint>
#include <string>
#include <vector>

#include "framework/core/yaml_reader.hpp"

namespace runner {

class Spec {
 public:
  // `index` is the entry's position in its list; `seed` the experiment seed.
  // `reserved` are further keys the caller reads itself (a layer's `inputs`).
  Spec(const YAML::Node& node, std::string key_path, Diagnostics& diag, std::size_t index,
       std::uint64_t seed, std::vector<std::string> reserved = {});

  [[nodiscard]] const std::string& type() const { return type_; }
  // The user's `name:`, or empty (the Model then numbers it as Keras does).
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] std::size_t index() const { return index_; }
  // The parameters; "type", "name" and the reserved keys are already accepted.
  [[nodiscard]] MapReader params() const;
  // A seed of the entry's own, derived from the experiment seed and its position.
  [[nodiscard]] std::uint64_t default_seed() const;
  [[nodiscard]] SourceLocation type_location() const;
  // False for the string form (`optimizer: adam`).
  [[nodiscard]] bool has_type_key() const { return node_.IsMap(); }
  [[nodiscard]] const std::string& key_path() const { return key_path_; }
  [[nodiscard]] Diagnostics& diagnostics() const { return *diag_; }

 private:
  YAML::Node node_;
  std::string key_path_;
  Diagnostics* diag_;
  std::size_t index_;
  std::uint64_t seed_;
  std::string type_;
  std::string name_;
  std::vector<std::string> reserved_;
};

// A layer's entry: `inputs` (which layers it reads, in graph models) is the model's to read.
class LayerSpec : public Spec {
 public:
  LayerSpec(const YAML::Node& node, std::string key_path, Diagnostics& diag, std::size_t index,
            std::uint64_t seed)
      : Spec(node, std::move(key_path), diag, index, seed, {"inputs"}) {}
};

}  // namespace runner
