#pragma once
// The loss contract and registry (the YAML `compile.loss`). Each file in framework/nn/losses/
// defines a loss class with a schema() and a create(), registered with RUNNER_REGISTER_LOSS, so
// adding one is one file plus its test.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "framework/core/registry.hpp"
#include "framework/core/tensor.hpp"

namespace runner {

class Loss {
 public:
  virtual ~Loss() = default;
  // Registry key and YAML `type:` (Keras' function name, e.g. "sparse_categorical_crossentropy").
  [[nodiscard]] virtual std::string_view type() const = 0;
  // Sum over the batch of the per-sample losses of `output` (probabilities, or logits when
  // from_logits: the model folded its softmax into the loss) against `labels`. When grad is not
  // null, writes dLoss/doutput for the mean over `mean_over` samples (0: this batch), Keras'
  // reduction; a data-parallel shard passes the global batch.
  virtual double compute(const Tensor& output, std::span<const std::int32_t> labels,
                         bool from_logits, Tensor* grad, std::int64_t mean_over) const = 0;
  // The resolved parameters (config.yaml).
  [[nodiscard]] YAML::Node config() const { return YAML::Clone(config_); }

 protected:
  YAML::Node config_;
};

using LossRegistry = Registry<Loss>;
LossRegistry& loss_registry();

// The loss called `type` with its default parameters (checkpoints and run folders name theirs).
// Throws ConfigError for an unknown name.
std::unique_ptr<Loss> loss_by_name(const std::string& type);

}  // namespace runner

#define RUNNER_REGISTER_LOSS(Class)                              \
  [[maybe_unused]] static const bool runner_registered_##Class = \
      (::runner::loss_registry().add(Class::schema(), &Class::create), true)
