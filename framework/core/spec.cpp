#include "framework/core/spec.hpp"

#include "framework/core/rng.hpp"

namespace runner {

namespace {
constexpr std::uint64_t kLayerSeedStream = 0x1A7E5;
}

Spec::Spec(const YAML::Node& node, std::string key_path, Diagnostics& diag, std::size_t index,
           std::uint64_t seed, std::vector<std::string> reserved)
    : node_(node),
      key_path_(std::move(key_path)),
      diag_(&diag),
      index_(index),
      seed_(seed),
      reserved_(std::move(reserved)) {
  if (node_.IsScalar()) {
    type_ = node_.Scalar();
    return;
  }
  MapReader reader(node_, key_path_, diag);
  type_ = reader.require<std::string>("type", "");
  name_ = reader.get_or<std::string>("name", "");
}

MapReader Spec::params() const {
  // The constructor already reported a non-mapping entry and duplicate keys.
  MapReader out(node_.IsMap() ? node_ : YAML::Node(YAML::NodeType::Map), key_path_, *diag_,
                /*check_structure=*/false);
  out.accept("type");
  out.accept("name");
  for (const std::string& key : reserved_) {
    out.accept(key);
  }
  return out;
}

std::uint64_t Spec::default_seed() const {
  return derive_seed(seed_, kLayerSeedStream + index_);
}

SourceLocation Spec::type_location() const {
  if (!node_.IsMap()) {
    return diag_->locate(node_, key_path_);
  }
  for (const auto& entry : node_) {
    if (entry.first.Scalar() == "type") {
      return diag_->locate(entry.second, key_path_ + ".type");
    }
  }
  return diag_->locate(node_, key_path_);
}

}  // namespace runner
