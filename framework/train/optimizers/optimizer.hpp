#pragma once
// Optimizers update the model's flat parameter block from its flat gradient block, with
// Keras 2.11's update rules. Each optimizer file registers itself (RUNNER_REGISTER_OPTIMIZER).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/core/parallel.hpp"
#include "framework/core/registry.hpp"

namespace runner {

class Optimizer {
 public:
  // `params` as its schema read them; every optimizer declares `learning_rate`.
  explicit Optimizer(const Params& params)
      : params_(params), learning_rate_(params.real("learning_rate")) {}
  virtual ~Optimizer() = default;

  [[nodiscard]] virtual std::string_view type() const = 0;
  // Sizes and zeroes the slot buffers (moments) for `size` parameters.
  virtual void prepare(std::size_t size) = 0;
  // One step: params -= update(grads). Increments iterations().
  virtual void apply(std::span<float> params, std::span<const float> grads) = 0;
  // Resolved arguments, Keras' names, with the learning rate in force now.
  [[nodiscard]] YAML::Node config() const {
    YAML::Node node = params_.resolved();
    node["learning_rate"] = yaml_number(learning_rate_);
    return node;
  }
  // Slot buffers by Keras' slot name ("m", "v", "momentum", "velocity"), each of the
  // parameters' size and layout: what checkpoints and resumable state save.
  [[nodiscard]] virtual std::vector<std::pair<std::string, std::vector<float>*>> slots() = 0;

  [[nodiscard]] double learning_rate() const { return learning_rate_; }
  void set_learning_rate(double lr) { learning_rate_ = lr; }
  [[nodiscard]] std::int64_t iterations() const { return iterations_; }
  void set_iterations(std::int64_t n) { iterations_ = n; }

 protected:
  Params params_;
  double learning_rate_;
  std::int64_t iterations_ = 0;
};

using OptimizerRegistry = Registry<Optimizer>;
OptimizerRegistry& optimizer_registry();

// Runs fn(begin, end) over [0, n) in fixed chunks in parallel (element-wise updates).
template <typename Fn>
void for_each_chunk(std::size_t n, const Fn& fn) {
  constexpr std::size_t kChunk = 16384;
  parallel_for(0, n, kChunk, fn);
}

}  // namespace runner

#define RUNNER_REGISTER_OPTIMIZER(Class)                         \
  [[maybe_unused]] static const bool runner_registered_##Class = \
      (::runner::optimizer_registry().add(Class::schema(), &Class::create), true)
