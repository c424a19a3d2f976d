#pragma once
// Components created by name from the experiment file: layers, optimizers, callbacks.
// Each implementation file registers its Schema and factory at static-initialization time, so
// adding one is one new file. Targets holding them are OBJECT libraries (nothing is
// dead-stripped).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/schema.hpp"
#include "framework/core/spec.hpp"
#include "framework/core/text.hpp"

namespace runner {

template <typename Product>
class Registry {
 public:
  // Builds from parameters its schema has read and checked; records problems across
  // parameters with Params::error (then may return null).
  using Factory = std::unique_ptr<Product> (*)(const Params&);

  // `kind` names the component in messages: "layer type", "optimizer", "callback".
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  // A duplicate name is a programmer error: message and abort.
  void add(const Schema& schema, Factory factory) {
    if (!factories_.emplace(schema.type(), Entry{&schema, factory}).second) {
      std::fprintf(stderr, "runner: %s '%s' registered twice\n", kind_.c_str(),
                   schema.type().c_str());
      std::abort();
    }
  }

  // Unknown types are recorded at spec.type_location() with the known list and a
  // did-you-mean; the result is then null.
  [[nodiscard]] std::unique_ptr<Product> create(const Spec& spec) const {
    const auto it = factories_.find(spec.type());
    if (it == factories_.end()) {
      if (!spec.type().empty()) {  // a missing type was already reported
        spec.diagnostics().error(
            spec.type_location(), spec.key_path() + (spec.has_type_key() ? ".type" : ""),
            fmt::format("unknown {} '{}' (known: {}){}", kind_, spec.type(),
                        fmt::join(types(), ", "), did_you_mean(spec.type(), types())));
      }
      return nullptr;
    }
    const std::size_t problems = spec.diagnostics().messages().size();
    const Params params = it->second.schema->read(spec);
    if (spec.diagnostics().messages().size() != problems) {
      return nullptr;  // a factory only ever sees checked values
    }
    return it->second.factory(params);
  }

  // The type's schema, or null.
  [[nodiscard]] const Schema* schema(std::string_view type) const {
    const auto it = factories_.find(type);
    return it == factories_.end() ? nullptr : it->second.schema;
  }

  // Every schema, by type name.
  [[nodiscard]] std::vector<const Schema*> schemas() const {
    std::vector<const Schema*> out;
    for (const auto& entry : factories_) {
      out.push_back(entry.second.schema);
    }
    return out;
  }

  [[nodiscard]] std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& entry : factories_) {
      out.push_back(entry.first);
    }
    return out;
  }

  [[nodiscard]] bool contains(std::string_view type) const {
    return factories_.find(type) != factories_.end();
  }

 private:
  struct Entry {
    const Schema* schema;
    Factory factory;
  };
  std::string kind_;
  std::map<std::string, Entry, std::less<>> factories_;
};

}  // namespace runner
