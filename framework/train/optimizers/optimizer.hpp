#pragma once
// Optimizers update the model's flat block of trainable parameters from its flat gradient block,
// with Keras 2.11's update rules (its optimizer_experimental classes, the default since 2.11).
// Each optimizer file registers itself (RUNNER_REGISTER_OPTIMIZER). The base class does what
// Keras' base optimizer does around every update: clipping (clipnorm per variable,
// global_clipnorm, clipvalue) and decoupled weight decay, in Keras' order.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/core/parallel.hpp"
#include "framework/core/registry.hpp"
#include "framework/train/schedules/schedule.hpp"

namespace runner {

class Optimizer {
 public:
  // `params` as its schema read them; every optimizer declares `learning_rate` and the options
  // of declare_common().
  explicit Optimizer(const Params& params);
  virtual ~Optimizer() = default;

  [[nodiscard]] virtual std::string_view type() const = 0;

  // Sizes and zeroes the slots for variables of these sizes, laid end to end (the model's
  // trainable weights in order; clipnorm clips each one by its own norm).
  void prepare(const std::vector<std::size_t>& variable_sizes);
  void prepare(std::size_t size) { prepare(std::vector<std::size_t>{size}); }
  // One step: clip the gradients, decay the weights, update. Increments iterations().
  void apply(std::span<float> params, std::span<const float> grads);

  // Resolved arguments, Keras' names, with the learning rate in force now.
  [[nodiscard]] YAML::Node config() const;
  // Slot buffers by Keras' slot name ("m", "v", "momentum", "velocity"), each of the
  // parameters' size and layout: what checkpoints and resumable state save.
  [[nodiscard]] virtual std::vector<std::pair<std::string, std::vector<float>*>> slots() = 0;
  // Keras 2.11's order of the slots in a file's optimizer_weights: groups in order, the slots of
  // a group interleaved variable by variable (Adam: m and v of each variable, then every vhat;
  // RMSprop: every velocity, then every momentum). Empty: all of slots() as one group.
  [[nodiscard]] virtual std::vector<std::vector<std::string>> keras_slot_groups() const {
    return {};
  }
  // For a state saved by an earlier runner that lacks slot `name`: fills `buffer` from what it
  // saved instead and returns true, or returns false (the state cannot be resumed).
  virtual bool restore_former_slot(const std::string& /*name*/,
                                   const std::map<std::string, std::vector<float>>& /*saved*/,
                                   std::vector<float>& /*buffer*/) const {
    return false;
  }

  // The rate the next step uses (a schedule's value at iterations()).
  [[nodiscard]] double learning_rate() const;
  // Requires: no schedule (has_schedule() false); callbacks check that first.
  void set_learning_rate(double lr);
  [[nodiscard]] bool has_schedule() const { return schedule_ != nullptr; }
  [[nodiscard]] std::int64_t iterations() const { return iterations_; }
  void set_iterations(std::int64_t n) { iterations_ = n; }

  // `learning_rate`: a number (default `fallback`) or a schedule mapping.
  static Schema& declare_learning_rate(Schema& schema, double fallback);
  // clipnorm, clipvalue, global_clipnorm and weight_decay (AdamW declares its own default).
  static Schema& declare_common(Schema& schema, std::optional<double> weight_decay = {});
  // Checks the learning rate (number or schedule) and what Keras refuses (clipnorm together
  // with global_clipnorm); records problems and returns false.
  static bool common_ok(const Params& params);

 protected:
  // Sizes the slots for `size` parameters.
  virtual void prepare_slots(std::size_t size) = 0;
  // The optimizer's own rule; `iterations_` already counts this step (Keras' local_step).
  virtual void update(std::span<float> params, std::span<const float> grads) = 0;

  Params params_;
  double learning_rate_;
  std::int64_t iterations_ = 0;

 private:
  // Writes the clipped gradients into clipped_ and returns them (or grads when no clipping).
  std::span<const float> clip(std::span<const float> grads);

  std::unique_ptr<LearningRateSchedule> schedule_;
  std::optional<double> clipnorm_, clipvalue_, global_clipnorm_, weight_decay_;
  std::vector<std::size_t> variable_sizes_;
  std::vector<float> clipped_;
};

using OptimizerRegistry = Registry<Optimizer>;
OptimizerRegistry& optimizer_registry();

// Runs fn(begin, end) over [0, n) in fixed chunks in parallel (element-wise updates). An update
// should load every operand of element i before it stores any: the parameters, gradients and
// slots are equal-sized blocks that often share their address modulo 4096, and on x86 a load
// after a store to the same 4 KiB offset waits for that store (4K aliasing). Adam on 279k
// parameters so placed: 1,215 us storing m before loading v, 307 us loading first
// (bench/optimizers_bench.cpp, one thread, an AVX2 AMD EPYC).
template <typename Fn>
void for_each_chunk(std::size_t n, const Fn& fn) {
  constexpr std::size_t kChunk = 16384;
  parallel_for(0, n, kChunk, fn);
}

}  // namespace runner

#define RUNNER_REGISTER_OPTIMIZER(Class)                         \
  [[maybe_unused]] static const bool runner_registered_##Class = \
      (::runner::optimizer_registry().add(Class::schema(), &Class::create), true)
