#include "framework/nn/model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/text.hpp"
#include "framework/nn/buffer_planner.hpp"
#include "framework/nn/merge_layer.hpp"

namespace runner {

namespace {
constexpr std::uint64_t kInitSeedStream = 0x1417;
// Limits that turn absurd sizes in a config into a message instead of an allocation: 2^28
// parameters (1 GiB each for weights, gradients and every optimizer slot) and 2^28 values per
// sample in any layer's output.
constexpr std::int64_t kMaxParameters = std::int64_t{1} << 28;
constexpr std::int64_t kMaxSampleValues = std::int64_t{1} << 28;

bool name_taken(const std::vector<Model::Entry>& entries, const std::string& name) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const Model::Entry& e) { return e.name == name; });
}
}  // namespace

void Model::set_input_name(std::string name) {
  input_name_ = std::move(name);
}

void Model::add(std::unique_ptr<Layer> layer, std::string name,
                const std::vector<std::string>& inputs) {
  if (name.empty()) {
    // Keras numbers each snake_case type from zero: conv2d, conv2d_1, ...
    const std::string base = snake_case(layer->type());
    name = base;
    for (int n = 1; name_taken(entries_, name) || name == input_name_; ++n) {
      name = fmt::format("{}_{}", base, n);
    }
  } else if (name_taken(entries_, name) || name == input_name_) {
    throw Error(fmt::format("layer name '{}' is used twice; layer names must be unique", name));
  }
  Entry entry;
  entry.name = std::move(name);
  entry.layer = std::move(layer);
  if (inputs.empty()) {
    entry.inputs.push_back(static_cast<long>(entries_.size()) - 1);  // -1: the model input
  }
  for (const std::string& input : inputs) {
    if (input == input_name_) {
      entry.inputs.push_back(kModelInput);
      continue;
    }
    const auto it = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const Entry& e) { return e.name == input; });
    if (it == entries_.end()) {
      std::vector<std::string> known{input_name_};
      for (const Entry& e : entries_) {
        known.push_back(e.name);
      }
      throw Error(
          fmt::format("input '{}' is not the model input nor a layer declared above "
                      "this one (these are: {}){}",
                      input, fmt::join(known, ", "), did_you_mean(input, known)));
    }
    entry.inputs.push_back(static_cast<long>(it - entries_.begin()));
  }
  graph_ = graph_ || !inputs.empty();
  entries_.push_back(std::move(entry));
  built_ = false;
}

void Model::build(const Shape& input_shape, std::uint64_t seed) {
  if (entries_.empty()) {
    throw ShapeError("the model has no layers");
  }
  input_shape_ = input_shape;
  // Shapes and parameter slots for every layer before any memory is touched.
  std::size_t total = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    e.input_shapes.clear();
    for (const long input : e.inputs) {
      e.input_shapes.push_back(input == kModelInput
                                   ? input_shape
                                   : entries_[static_cast<std::size_t>(input)].output_shape);
    }
    e.input_shape = e.input_shapes.front();
    try {
      const MergeLayer* merge = e.layer->as_merge();
      if (merge == nullptr && e.inputs.size() != 1) {
        throw ShapeError(
            fmt::format("takes one input, got {}; combine them first with a merge "
                        "layer (Add, Concatenate, ...)",
                        e.inputs.size()));
      }
      e.output_shape = merge != nullptr ? merge->merged_shape(e.input_shapes)
                                        : e.layer->output_shape(e.input_shape);
      e.slots = e.layer->param_slots(e.input_shape);
    } catch (const ShapeError& err) {
      throw ShapeError(
          fmt::format("layer {} '{}' ({}): {}", i, e.name, e.layer->type(), err.what()),
          static_cast<long>(i));
    }
    if (e.output_shape.elements() > kMaxSampleValues) {
      throw ShapeError(
          fmt::format("layer {} '{}' ({}): its output {} holds {} values per sample, "
                      "more than the {} runner allows",
                      i, e.name, e.layer->type(), e.output_shape.str(),
                      with_thousands(e.output_shape.elements()), with_thousands(kMaxSampleValues)),
          static_cast<long>(i));
    }
    for (const auto& slot : e.slots) {
      total += static_cast<std::size_t>(slot.shape.elements());
    }
    if (static_cast<std::int64_t>(total) > kMaxParameters) {
      throw ShapeError(
          fmt::format("layer {} '{}' ({}): the model reaches {} parameters here, more "
                      "than the {} runner allows",
                      i, e.name, e.layer->type(), with_thousands(static_cast<long long>(total)),
                      with_thousands(kMaxParameters)),
          static_cast<long>(i));
    }
  }
  check_graph();
  params_.assign(total, 0.0F);
  grads_.assign(total, 0.0F);
  // Trainable weights first, so the optimizer's block is one span; non-trainable ones
  // (moving statistics) after them.
  trainable_count_ = 0;
  for (const Entry& e : entries_) {
    for (const auto& slot : e.slots) {
      trainable_count_ += slot.trainable ? static_cast<std::size_t>(slot.shape.elements()) : 0;
    }
  }
  std::size_t trainable_offset = 0;
  std::size_t frozen_offset = trainable_count_;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    e.params.clear();
    e.grads.clear();
    for (const auto& slot : e.slots) {
      std::size_t& offset = slot.trainable ? trainable_offset : frozen_offset;
      e.params.push_back(TensorView{params_.data() + offset, slot.shape});
      e.grads.push_back(TensorView{grads_.data() + offset, slot.shape});
      offset += static_cast<std::size_t>(slot.shape.elements());
    }
    Rng init(derive_seed(seed, kInitSeedStream + i));
    e.layer->bind(e.params, e.grads, init);
  }
  activations_.assign(entries_.size(), Tensor());
  deltas_.assign(entries_.size(), nullptr);
  plan_gradient_sums();
  built_ = true;
}

void Model::check_graph() {
  consumers_.assign(entries_.size(), 0);
  input_readers_ = 0;
  for (const Entry& e : entries_) {
    for (const long input : e.inputs) {
      if (input != kModelInput) {
        ++consumers_[static_cast<std::size_t>(input)];
      } else {
        ++input_readers_;
      }
    }
  }
  // Layers may only read layers above them, so a layer nobody reads is a dead end unless it
  // is the last; with none, every layer leads to the output.
  for (std::size_t i = 0; i + 1 < entries_.size(); ++i) {
    if (consumers_[i] == 0) {
      const Entry& e = entries_[i];
      throw ShapeError(fmt::format("layer {} '{}' ({}): no layer reads its output, so it does "
                                   "not lead to the model's output (the last layer, '{}')",
                                   i, e.name, e.layer->type(), entries_.back().name),
                       static_cast<long>(i));
    }
  }
}

void Model::plan_gradient_sums() {
  // A layer's output gradient is wanted when it learns or a layer it reads wants one: a start
  // without weights (Flatten, augmentation) takes no input gradient, so the first layer that
  // learns computes none (Flatten -> Dense(256) on Fashion-MNIST: half of that Dense's backward).
  wants_gradient_.assign(entries_.size(), false);
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    bool wants = std::any_of(e.slots.begin(), e.slots.end(),
                             [](const ParamSlot& slot) { return slot.trainable; });
    for (const long input : e.inputs) {
      wants = wants || (input != kModelInput && wants_gradient_[static_cast<std::size_t>(input)]);
    }
    wants_gradient_[i] = wants;
  }
  // Backward runs from the last layer down; the first consumer met writes an input's
  // gradient, later ones add theirs (in this fixed order, so sums are reproducible). Inputs
  // whose gradient nobody wants get none, so no sum and no scratch buffer.
  std::vector<bool> written(entries_.size(), false);
  sums_into_.assign(entries_.size(), {});
  scratch_.assign(entries_.size(), {});
  for (std::size_t i = entries_.size(); i-- > 0;) {
    const Entry& e = entries_[i];
    sums_into_[i].assign(e.inputs.size(), false);
    scratch_[i].assign(e.inputs.size(), nullptr);
    for (std::size_t k = 0; k < e.inputs.size(); ++k) {
      if (!gradient_flows_to(e.inputs[k])) {
        continue;
      }
      const auto input = static_cast<std::size_t>(e.inputs[k]);
      sums_into_[i][k] = written[input];
      written[input] = true;
    }
  }
}

std::vector<std::size_t> Model::trainable_sizes() const {
  std::vector<std::size_t> sizes;
  for (const Entry& e : entries_) {
    for (const auto& slot : e.slots) {
      if (slot.trainable) {
        sizes.push_back(static_cast<std::size_t>(slot.shape.elements()));
      }
    }
  }
  return sizes;
}

double Model::penalty() const {
  double total = 0;
  for (const Entry& e : entries_) {
    for (std::size_t i = 0; i < e.slots.size(); ++i) {
      const Penalty& p = e.slots[i].penalty;
      if (!p.active()) {
        continue;
      }
      double abs_sum = 0;
      double square_sum = 0;
      for (const float w : e.params[i].span()) {
        abs_sum += std::abs(static_cast<double>(w));
        square_sum += static_cast<double>(w) * static_cast<double>(w);
      }
      total += p.l1 * abs_sum + p.l2 * square_sum;
    }
  }
  return total;
}

void Model::add_penalty_gradients() {
  for (Entry& e : entries_) {
    for (std::size_t i = 0; i < e.slots.size(); ++i) {
      const Penalty& p = e.slots[i].penalty;
      if (!p.active()) {
        continue;
      }
      const auto l1 = static_cast<float>(p.l1);
      const auto twice_l2 = static_cast<float>(2 * p.l2);
      const std::span<float> w = e.params[i].span();
      const std::span<float> g = e.grads[i].span();
      for (std::size_t k = 0; k < w.size(); ++k) {
        // d|w|/dw is taken as 0 at 0, as TensorFlow does.
        const float sign = w[k] > 0 ? 1.0F : (w[k] < 0 ? -1.0F : 0.0F);
        g[k] += l1 * sign + twice_l2 * w[k];
      }
    }
  }
}

void Model::prepare(std::int64_t max_batch) {
  max_batch_ = max_batch;
  largest_activation_ = 0;
  for (const Entry& e : entries_) {
    largest_activation_ =
        std::max(largest_activation_, static_cast<std::size_t>(e.output_shape.elements()));
  }
  // Fusion, planned below and switchable later, picks the group size; kInferenceGroup is the
  // larger one.
  if (max_batch * static_cast<std::int64_t>(largest_activation_ * sizeof(float)) >
      static_cast<std::int64_t>(kInferenceCacheBytes)) {
    group_input_.reserve(static_cast<std::size_t>(
        input_shape_.with_batch(std::min(kInferenceGroup, max_batch)).elements()));
    grouped_output_.reserve(
        static_cast<std::size_t>(output_shape().with_batch(max_batch).elements()));
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    try {
      const auto elements =
          static_cast<std::size_t>(e.output_shape.with_batch(max_batch).elements());
      activations_[i].reserve(elements);
      if (MergeLayer* merge = e.layer->as_merge()) {
        merge->prepare_merge(e.input_shapes, max_batch);
      } else {
        e.layer->prepare(e.input_shape, max_batch);
      }
    } catch (const std::bad_alloc&) {
      throw Error(
          fmt::format("layer {} '{}' ({}): not enough memory for its activations and "
                      "workspaces at batch size {}",
                      i, e.name, e.layer->type(), max_batch));
    } catch (const std::length_error&) {
      throw Error(
          fmt::format("layer {} '{}' ({}): its workspaces at batch size {} exceed what "
                      "can be allocated",
                      i, e.name, e.layer->type(), max_batch));
    }
  }
  plan_fusion();
}

const Shape& Model::output_shape() const {
  return entries_.back().output_shape;
}

void Model::set_fusion(bool on) {
  fusion_on_ = on;
  plan_fusion();
}

void Model::plan_fusion() {
  fusion_.assign(entries_.size(), Layer::Fusion::kNone);
  // A layer fused in for every pass fuses nothing itself (training has no chains); one fused
  // in for inference only may: its layer computes the chain in inference.
  bool computed_by_previous = false;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    // Only along a chain: the next layer reads this one alone, and nothing else reads it.
    const bool chain = i + 1 < entries_.size() && consumers_[i] == 1 &&
                       entries_[i + 1].inputs == std::vector<long>{static_cast<long>(i)} &&
                       entries_[i + 1].layer->as_merge() == nullptr;
    const bool can_fuse = fusion_on_ && !computed_by_previous && chain;
    fusion_[i] = entries_[i].layer->fuse_next(can_fuse ? entries_[i + 1].layer.get() : nullptr);
    computed_by_previous = fusion_[i] == Layer::Fusion::kAlways;
  }
  plan_fused_sums();
  largest_written_ = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (!fuses_next(i, Mode::kEval)) {
      largest_written_ =
          std::max(largest_written_, static_cast<std::size_t>(entries_[i].output_shape.elements()));
    }
  }
  if (max_batch_ > 0) {
    plan_gradient_buffers();
  }
}

void Model::plan_fused_sums() {
  fused_sum_.assign(entries_.size(), kNoSum);
  for (std::size_t head = 0; fusion_on_ && head < entries_.size(); ++head) {
    std::size_t last = head;  // the chain the head computes in inference
    while (fuses_next(last, Mode::kEval)) {
      ++last;
    }
    const std::size_t add = last + 1;
    bool relu = false;
    if (add < entries_.size() && consumers_[last] == 1 &&
        entries_[add].layer->inference_sum(&relu)) {
      // The Add reads the chain's output once and, as its other input, a tensor computed before
      // the chain (kModelInput included); inference_sum promised two inputs of one shape.
      const std::vector<long>& inputs = entries_[add].inputs;
      const auto chain = static_cast<long>(last);
      const long other = inputs[0] == chain ? inputs[1] : inputs[0];
      if ((inputs[0] == chain) != (inputs[1] == chain) && other < static_cast<long>(head) &&
          entries_[head].layer->fuse_sum(relu)) {
        fusion_[last] = Layer::Fusion::kInference;  // the head computes the Add too
        fused_sum_[head] = static_cast<long>(add);
        while (fuses_next(last, Mode::kEval)) {  // and the ReLU the Add fuses
          ++last;
        }
      }
    }
    head = last;
  }
}

const Tensor& Model::addend_of(std::size_t head) const {
  const auto add = static_cast<std::size_t>(fused_sum_[head]);
  const std::size_t chain_input = entries_[add].inputs[0] == static_cast<long>(add - 1) ? 0 : 1;
  return input_of(add, 1 - chain_input);
}

void Model::set_gradient_sharing(bool on) {
  gradient_sharing_on_ = on;
  if (max_batch_ > 0) {
    plan_gradient_buffers();
  }
}

void Model::plan_gradient_buffers() {
  const std::size_t n = entries_.size();
  // The last backward step that reads layer x's output gradient: that of the layer taking it
  // (x, or x - 1 when that computes x) or of that layer's inputs, which may evaluate part of its
  // input gradient in theirs (a convolution does a batch normalization's). After that step the
  // buffer can hold another gradient: ResNet's backward then writes into buffers still in cache
  // instead of one per layer (the 28x28x32 convolutions' backward was 1.6x slower with every
  // layer's own buffer than alone).
  std::vector<std::vector<std::size_t>> frees_after(n);
  for (std::size_t x = 0; x + 1 < n && gradient_sharing_on_; ++x) {
    if (hands_buffer_on(x, Mode::kTrain)) {
      continue;  // its gradient's buffer becomes its input's
    }
    const std::size_t reader = x > 0 && fuses_next(x - 1, Mode::kTrain) ? x - 1 : x;
    long last = static_cast<long>(reader);
    for (const long input : entries_[reader].inputs) {
      last = std::min(last, input);
    }
    frees_after[static_cast<std::size_t>(std::max(last, 0L))].push_back(x);
  }
  // Backward's walk (Model::backward), taking buffers where it writes gradients.
  BufferPlanner planner;
  std::vector<long> buffer_of(n, -1);
  std::vector<std::vector<long>> scratch_buffer(n);
  for (std::size_t i = n; i-- > 0;) {
    const Entry& e = entries_[i];
    scratch_buffer[i].assign(e.inputs.size(), -1);
    if (hands_buffer_on(i, Mode::kTrain)) {
      buffer_of[static_cast<std::size_t>(e.inputs[0])] = buffer_of[i];
    } else if (runs_backward(i)) {
      for (std::size_t k = 0; k < e.inputs.size(); ++k) {
        if (!gradient_flows_to(e.inputs[k])) {
          continue;
        }
        const auto elements =
            static_cast<std::size_t>(e.input_shapes[k].with_batch(max_batch_).elements());
        long& buffer = sums_into_[i][k] ? scratch_buffer[i][k]
                                        : buffer_of[static_cast<std::size_t>(e.inputs[k])];
        buffer = static_cast<long>(planner.take(elements));
      }
      for (const long buffer : scratch_buffer[i]) {
        if (buffer >= 0 && gradient_sharing_on_) {
          planner.give_back(static_cast<std::size_t>(buffer));  // added to the gradient at once
        }
      }
    }
    for (const std::size_t x : frees_after[i]) {
      if (buffer_of[x] >= 0) {
        planner.give_back(static_cast<std::size_t>(buffer_of[x]));
      }
    }
  }
  try {
    gradient_buffers_.assign(planner.sizes().size(), Tensor());
    for (std::size_t b = 0; b < gradient_buffers_.size(); ++b) {
      gradient_buffers_[b].reserve(planner.sizes()[b]);
    }
  } catch (const std::bad_alloc&) {
    throw Error(fmt::format("not enough memory for the gradients at batch size {}", max_batch_));
  }
  auto buffer = [&](long b) {
    return b < 0 ? nullptr : &gradient_buffers_[static_cast<std::size_t>(b)];
  };
  for (std::size_t i = 0; i < n; ++i) {
    deltas_[i] = buffer(buffer_of[i]);
    for (std::size_t k = 0; k < scratch_[i].size(); ++k) {
      scratch_[i][k] = buffer(scratch_buffer[i][k]);
    }
  }
}

bool Model::fuses_next(std::size_t i, Mode mode) const {
  return i < fusion_.size() && (fusion_[i] == Layer::Fusion::kAlways ||
                                (fusion_[i] == Layer::Fusion::kInference && mode == Mode::kEval));
}

bool Model::gradient_flows_to(long input) const {
  return input != kModelInput && wants_gradient_[static_cast<std::size_t>(input)];
}

bool Model::runs_backward(std::size_t i) const {
  // Not when layer i - 1 takes this layer's output gradient (fusion), nor when layer i learns
  // nothing and passes a gradient to nothing that does.
  return !(i > 0 && fuses_next(i - 1, Mode::kTrain)) && wants_gradient_[i];
}

bool Model::hands_buffer_on(std::size_t i, Mode mode) const {
  // Not on the model input (the caller's) nor from the last layer (callers keep the output),
  // and only from a layer nobody else reads.
  const Entry& e = entries_[i];
  return e.inputs.front() != kModelInput && i + 1 < entries_.size() &&
         e.layer->passes_input_on(mode) &&
         consumers_[static_cast<std::size_t>(e.inputs.front())] == 1;
}

const Tensor& Model::input_of(std::size_t i, std::size_t k) const {
  const long input = entries_[i].inputs[k];
  return input == kModelInput ? *last_input_ : activations_[static_cast<std::size_t>(input)];
}

std::vector<const Tensor*> Model::merge_inputs(std::size_t i) const {
  std::vector<const Tensor*> inputs;
  for (std::size_t k = 0; k < entries_[i].inputs.size(); ++k) {
    inputs.push_back(&input_of(i, k));
  }
  return inputs;
}

void Model::forward_layer(std::size_t i, Tensor& out, const Pass& pass) {
  Entry& e = entries_[i];
  if (MergeLayer* merge = e.layer->as_merge()) {
    merge->forward_merge(merge_inputs(i), out);
  } else {
    e.layer->forward(input_of(i, 0), out, pass);
  }
}

std::int64_t Model::inference_group(std::int64_t batch) const {
  const std::size_t bytes = static_cast<std::size_t>(batch) * largest_activation_ * sizeof(float);
  if (!inference_groups_on_ || bytes <= kInferenceCacheBytes) {
    return batch;
  }
  // A 64-sample group of 28x28x32 activations (6.4 MB) went to memory between layers: ResNet
  // and the VGG-BatchNormalization probe inferred 1.12x and 1.20x as fast in groups of 32, while
  // models whose large outputs are fused away (the reference's convolution with its pooling)
  // lost 3-7% (docs/performance.md, 2026-12-06, third session).
  const std::size_t group_bytes =
      static_cast<std::size_t>(kInferenceGroup) * largest_written_ * sizeof(float);
  const std::int64_t group =
      group_bytes > kInferenceCacheBytes ? kLargeActivationGroup : kInferenceGroup;
  return std::min(group, batch);
}

bool Model::takes_model_input(std::size_t i, Mode mode) const {
  // Inference only: training's caller may still read its batch.
  const Entry& e = entries_[i];
  return mode == Mode::kEval && e.inputs.front() == kModelInput && i + 1 < entries_.size() &&
         input_readers_ == 1 && e.layer->passes_input_on(mode);
}

const Tensor& Model::forward(const Tensor& x, const Pass& pass) {
  return forward_from(x, pass, nullptr);
}

const Tensor& Model::forward_taking(Tensor& x, const Pass& pass) {
  return forward_from(x, pass, &x);
}

const Tensor& Model::forward_from(const Tensor& x, const Pass& pass, Tensor* takeable) {
  const std::int64_t batch = x.batch();
  if (batch > max_batch_ || x.shape().without_batch() != input_shape_) {
    throw Error(fmt::format("model input {} does not fit the prepared shape {} (max batch {})",
                            x.shape().str(), input_shape_.with_batch(max_batch_).str(),
                            max_batch_));
  }
  const std::int64_t group = pass.mode == Mode::kEval ? inference_group(batch) : batch;
  if (group == batch) {
    return forward_batch(x, pass, takeable);
  }
  // Group by group through every layer: each group's activations stay in cache from one layer
  // to the next (a whole batch's went to memory and back: the dilated model's inference at
  // batch 256 ran 20% slower than at 64). Inference has no sums across samples.
  grouped_output_.resize(output_shape().with_batch(batch));
  const std::size_t in_floats = x.sample_size();
  const std::size_t out_floats = grouped_output_.sample_size();
  for (std::int64_t n0 = 0; n0 < batch; n0 += group) {
    const std::int64_t count = std::min(group, batch - n0);
    group_input_.resize(input_shape_.with_batch(count));
    const auto first = static_cast<std::size_t>(n0);
    const auto samples = static_cast<std::size_t>(count);
    std::copy_n(x.data() + first * in_floats, samples * in_floats, group_input_.data());
    const Tensor& y = forward_batch(group_input_, pass, &group_input_);
    std::copy_n(y.data(), samples * out_floats, grouped_output_.data() + first * out_floats);
  }
  return grouped_output_;
}

const Tensor& Model::forward_batch(const Tensor& x, const Pass& pass, Tensor* takeable) {
  const std::int64_t batch = x.batch();
  last_input_ = &x;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Shape output_shape = entries_[i].output_shape.with_batch(batch);
    if (takeable != nullptr && takes_model_input(i, pass.mode)) {
      // x's buffer becomes this output; x gets this layer's, of as much room as x had or more.
      takeable->reserve(static_cast<std::size_t>(max_batch_) * takeable->sample_size());
      std::swap(activations_[i], *takeable);
      activations_[i].resize(output_shape);
      continue;
    }
    if (hands_buffer_on(i, pass.mode)) {
      // The input's output becomes this one (equal capacities: the same element count).
      std::swap(activations_[i], activations_[static_cast<std::size_t>(entries_[i].inputs[0])]);
      activations_[i].resize(output_shape);
      continue;
    }
    // The last layer of the chain this one computes (itself when it fuses nothing).
    std::size_t last = i;
    while (fuses_next(last, pass.mode)) {
      ++last;
    }
    Tensor& out = activations_[last];
    out.resize(entries_[last].output_shape.with_batch(batch));
    const auto start =
        timing_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    if (pass.mode == Mode::kEval && fused_sum_[i] != kNoSum) {
      Pass with_sum = pass;
      with_sum.addend = &addend_of(i);
      forward_layer(i, out, with_sum);
    } else {
      forward_layer(i, out, pass);
    }
    if (timing_) {
      times_.forward_s[i] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    i = last;
  }
  return activations_.back();
}

void Model::backward_layer(std::size_t i, const Tensor& output, const Tensor& grad_output) {
  Entry& e = entries_[i];
  std::vector<Tensor*> grad_inputs(e.inputs.size(), nullptr);
  for (std::size_t k = 0; k < e.inputs.size(); ++k) {
    if (!gradient_flows_to(e.inputs[k])) {
      continue;  // nobody needs the gradient of the data, nor of a start that learns nothing
    }
    Tensor& target =
        sums_into_[i][k] ? *scratch_[i][k] : *deltas_[static_cast<std::size_t>(e.inputs[k])];
    target.resize(input_of(i, k).shape());
    grad_inputs[k] = &target;
  }
  if (MergeLayer* merge = e.layer->as_merge()) {
    merge->backward_merge(merge_inputs(i), output, grad_output, grad_inputs);
  } else {
    e.layer->backward(input_of(i, 0), output, grad_output, grad_inputs[0]);
  }
  for (std::size_t k = 0; k < e.inputs.size(); ++k) {
    if (!sums_into_[i][k]) {
      continue;
    }
    float* sum = deltas_[static_cast<std::size_t>(e.inputs[k])]->data();
    const float* add = scratch_[i][k]->data();
    constexpr std::size_t kElementsPerTask = 16384;
    parallel_for(0, scratch_[i][k]->size(), kElementsPerTask,
                 [sum, add](std::size_t first, std::size_t last) {
                   for (std::size_t j = first; j < last; ++j) {
                     sum[j] += add[j];
                   }
                 });
  }
}

void Model::backward(const Tensor& grad_output) {
  const std::size_t last = entries_.size() - 1;
  auto delta_of = [&](std::size_t i) -> const Tensor& {
    return i == last ? grad_output : *deltas_[i];
  };
  for (std::size_t i = entries_.size(); i-- > 0;) {
    if (hands_buffer_on(i, Mode::kTrain)) {
      // Undo forward's hand-over (the input's layer reads its own output in its backward); the
      // gradient's buffer is the input's already (plan_gradient_buffers).
      const auto input = static_cast<std::size_t>(entries_[i].inputs[0]);
      std::swap(activations_[i], activations_[input]);
      const Shape input_shape = entries_[i].input_shape.with_batch(activations_[input].batch());
      activations_[input].resize(input_shape);
      if (deltas_[input] != nullptr) {
        deltas_[input]->resize(input_shape);
      }
      continue;
    }
    if (!runs_backward(i)) {
      continue;
    }
    const std::size_t output = fuses_next(i, Mode::kTrain) ? i + 1 : i;
    const auto start =
        timing_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    backward_layer(i, activations_[output], delta_of(output));
    if (timing_) {
      times_.backward_s[i] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
}

void Model::enable_timing(bool on) {
  timing_ = on;
  times_.forward_s.assign(entries_.size(), 0.0);
  times_.backward_s.assign(entries_.size(), 0.0);
}

void Model::zero_gradients() {
  // In parallel, like the layers around it: a serial stretch between two parallel loops lets
  // oneTBB's worker fall asleep, and waking it on this VM costs more than the fill.
  constexpr std::size_t kElementsPerTask = 16384;
  float* grads = grads_.data();
  parallel_for(0, grads_.size(), kElementsPerTask, [grads](std::size_t first, std::size_t last) {
    std::fill(grads + first, grads + last, 0.0F);
  });
}

bool Model::use_logits_output() {
  if (!logits_ && !entries_.empty()) {
    logits_ = entries_.back().layer->emit_logits();
  }
  return logits_;
}

}  // namespace runner
