#include "framework/train/optimizers/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace runner {

OptimizerRegistry& optimizer_registry() {
  static OptimizerRegistry registry("optimizer");
  return registry;
}

namespace {
// The learning rate's schedule, or null for a number (params already checked by common_ok).
std::unique_ptr<LearningRateSchedule> schedule_of(const Params& params) {
  if (!params.node("learning_rate").IsMap()) {
    return nullptr;
  }
  Diagnostics checked("");
  return make_schedule(params.spec_of("learning_rate", checked));
}
}  // namespace

Optimizer::Optimizer(const Params& params)
    : params_(params),
      learning_rate_(0),
      schedule_(schedule_of(params)),
      clipnorm_(params.maybe_real("clipnorm")),
      clipvalue_(params.maybe_real("clipvalue")),
      global_clipnorm_(params.maybe_real("global_clipnorm")),
      weight_decay_(params.maybe_real("weight_decay")) {
  learning_rate_ = schedule_ ? schedule_->at(0) : params.real("learning_rate");
}

Schema& Optimizer::declare_learning_rate(Schema& schema, double fallback) {
  return schema
      .real_or_mapping("learning_rate",
                       "step size: a number, or a schedule (a mapping with `type`, see "
                       "`runner schedules`)",
                       fallback)
      .above(0);
}

double Optimizer::learning_rate() const {
  return schedule_ ? schedule_->at(iterations_) : learning_rate_;
}

void Optimizer::set_learning_rate(double lr) {
  if (schedule_) {
    throw std::logic_error("set_learning_rate on an optimizer with a schedule");
  }
  learning_rate_ = lr;
}

Schema& Optimizer::declare_common(Schema& schema, std::optional<double> weight_decay) {
  return schema.real("clipnorm", "clip each weight's gradient to this L2 norm")
      .above(0)
      .real("clipvalue", "clip every gradient value to [-clipvalue, clipvalue]")
      .above(0)
      .real("global_clipnorm", "clip all gradients together to this L2 norm")
      .above(0)
      .real("weight_decay", "decoupled decay: w -= w * weight_decay * learning_rate per step",
            weight_decay)
      .at_least(0);
}

bool Optimizer::common_ok(const Params& params) {
  if (params.node("learning_rate").IsMap() && !make_schedule(params.spec_of("learning_rate"))) {
    return false;
  }
  if (params.maybe_real("clipnorm") && params.maybe_real("global_clipnorm")) {
    params.error("global_clipnorm", "expected clipnorm or global_clipnorm, not both (as Keras)");
    return false;
  }
  return true;
}

void Optimizer::prepare(const std::vector<std::size_t>& variable_sizes) {
  variable_sizes_ = variable_sizes;
  std::size_t total = 0;
  for (auto n : variable_sizes) {
    total += n;
  }
  clipped_.assign(clipnorm_ || clipvalue_ || global_clipnorm_ ? total : 0, 0.0F);
  prepare_slots(total);
}

namespace {
// Sum of squares in order, in double: the same on any thread count.
double squared_norm(std::span<const float> v) {
  double s = 0;
  for (float x : v) {
    s += static_cast<double>(x) * static_cast<double>(x);
  }
  return s;
}

void scale(std::span<float> v, double factor) {
  const auto f = static_cast<float>(factor);
  for (float& x : v) {
    x *= f;
  }
}
}  // namespace

std::span<const float> Optimizer::clip(std::span<const float> grads) {
  if (clipped_.empty()) {
    return grads;
  }
  std::copy(grads.begin(), grads.end(), clipped_.begin());
  const std::span<float> out(clipped_.data(), grads.size());
  // tf.clip_by_norm: t * clip_norm / max(norm(t), clip_norm), per variable.
  if (clipnorm_) {
    std::size_t offset = 0;
    for (auto n : variable_sizes_) {
      const std::span<float> one = out.subspan(offset, n);
      const double norm = std::sqrt(squared_norm(one));
      if (norm > *clipnorm_) {
        scale(one, *clipnorm_ / norm);
      }
      offset += n;
    }
  }
  // tf.clip_by_global_norm over all variables.
  if (global_clipnorm_) {
    const double norm = std::sqrt(squared_norm(out));
    if (norm > *global_clipnorm_) {
      scale(out, *global_clipnorm_ / norm);
    }
  }
  if (clipvalue_) {
    const auto limit = static_cast<float>(*clipvalue_);
    for (float& x : out) {
      x = std::clamp(x, -limit, limit);
    }
  }
  return out;
}

void Optimizer::apply(std::span<float> params, std::span<const float> grads) {
  if (schedule_) {
    learning_rate_ = schedule_->at(iterations_);
  }
  const std::span<const float> g = clip(grads);
  // Keras decays before the update, with the learning rate of this step.
  if (weight_decay_ && *weight_decay_ > 0) {
    const auto decay = static_cast<float>(*weight_decay_ * learning_rate_);
    float* w = params.data();
    for_each_chunk(params.size(), [=](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        w[i] -= w[i] * decay;
      }
    });
  }
  ++iterations_;
  update(params, g);
}

YAML::Node Optimizer::config() const {
  YAML::Node node = params_.resolved();
  node["learning_rate"] = schedule_ ? schedule_->config() : yaml_number(learning_rate_);
  return node;
}

}  // namespace runner
