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
#include "framework/core/targets.hpp"
#include "framework/core/tensor.hpp"

namespace runner {

// What a loss compares the outputs with: the task it implies.
enum class LossTargets {
  kClassIndex,    // one class index per sample (sparse_categorical_crossentropy)
  kDistribution,  // one-hot (or probability) rows as wide as the output (categorical)
  kBinary,        // a 0/1 value per output (binary_crossentropy)
  kValue,         // real values (regression)
};

class Loss {
 public:
  virtual ~Loss() = default;
  // Registry key and YAML `type:` (Keras' function name, e.g. "sparse_categorical_crossentropy").
  [[nodiscard]] virtual std::string_view type() const = 0;
  [[nodiscard]] virtual LossTargets targets() const = 0;
  // True when the model may fold its final softmax into this loss (Model::use_logits_output).
  [[nodiscard]] virtual bool takes_softmax_logits() const { return false; }
  // Sum over the batch of the per-sample losses of `output` against `y` (`softmax_folded`: the
  // outputs are logits because the model folded its softmax into the loss). When grad is not
  // null, writes dLoss/doutput for the mean over `mean_over` samples (0: this batch), Keras'
  // reduction; a data-parallel shard passes the global batch.
  virtual double compute(const Tensor& output, const Targets& y, bool softmax_folded, Tensor* grad,
                         std::int64_t mean_over) const = 0;
  // Turns outputs into what metrics read: probabilities (softmax of folded or from_logits
  // outputs, sigmoid for binary from_logits), regression values unchanged.
  virtual void to_probabilities(Tensor& output, bool softmax_folded) const;
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

// Softmax of every row of a {batch, classes} tensor, in place.
void softmax_rows(Tensor& t);

}  // namespace runner

#define RUNNER_REGISTER_LOSS(Class)                              \
  [[maybe_unused]] static const bool runner_registered_##Class = \
      (::runner::loss_registry().add(Class::schema(), &Class::create), true)
