#include "framework/nn/model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/text.hpp"

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

void Model::add(std::unique_ptr<Layer> layer, std::string name) {
  if (name.empty()) {
    // Keras numbers each snake_case type from zero: conv2d, conv2d_1, ...
    const std::string base = snake_case(layer->type());
    name = base;
    for (int n = 1; name_taken(entries_, name); ++n) {
      name = fmt::format("{}_{}", base, n);
    }
  } else if (name_taken(entries_, name)) {
    throw Error(fmt::format("layer name '{}' is used twice; layer names must be unique", name));
  }
  Entry entry;
  entry.name = std::move(name);
  entry.layer = std::move(layer);
  entries_.push_back(std::move(entry));
  built_ = false;
}

void Model::build(const Shape& input_shape, std::uint64_t seed) {
  if (entries_.empty()) {
    throw ShapeError("the model has no layers");
  }
  input_shape_ = input_shape;
  // Shapes and parameter slots for every layer before any memory is touched.
  Shape shape = input_shape;
  std::size_t total = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    e.input_shape = shape;
    try {
      e.output_shape = e.layer->output_shape(shape);
      e.slots = e.layer->param_slots(shape);
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
    shape = e.output_shape;
  }
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
  deltas_.assign(entries_.size(), Tensor());
  built_ = true;
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
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    try {
      const auto elements =
          static_cast<std::size_t>(e.output_shape.with_batch(max_batch).elements());
      activations_[i].reserve(elements);
      deltas_[i].reserve(elements);
      e.layer->prepare(e.input_shape, max_batch);
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
  bool computed_by_previous = false;  // a fused-in layer fuses nothing itself
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const bool can_fuse = fusion_on_ && !computed_by_previous && i + 1 < entries_.size();
    fusion_[i] = entries_[i].layer->fuse_next(can_fuse ? entries_[i + 1].layer.get() : nullptr);
    computed_by_previous = fusion_[i] != Layer::Fusion::kNone;
  }
}

bool Model::fuses_next(std::size_t i, Mode mode) const {
  return i < fusion_.size() && (fusion_[i] == Layer::Fusion::kAlways ||
                                (fusion_[i] == Layer::Fusion::kInference && mode == Mode::kEval));
}

bool Model::hands_buffer_on(std::size_t i) const {
  // Not the first layer (its input is the caller's) nor the last (callers keep the output).
  return i > 0 && i + 1 < entries_.size() && entries_[i].layer->reshapes_only();
}

const Tensor& Model::forward(const Tensor& x, const Pass& pass) {
  const std::int64_t batch = x.batch();
  if (batch > max_batch_ || x.shape().without_batch() != input_shape_) {
    throw Error(fmt::format("model input {} does not fit the prepared shape {} (max batch {})",
                            x.shape().str(), input_shape_.with_batch(max_batch_).str(),
                            max_batch_));
  }
  const Tensor* input = &x;
  last_input_ = &x;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Shape output_shape = entries_[i].output_shape.with_batch(batch);
    if (hands_buffer_on(i)) {
      // The previous output becomes this one (equal capacities: the same element count).
      std::swap(activations_[i], activations_[i - 1]);
      activations_[i].resize(output_shape);
      input = &activations_[i];
      continue;
    }
    const bool fused = fuses_next(i, pass.mode);
    Tensor& out = activations_[fused ? i + 1 : i];
    out.resize(fused ? entries_[i + 1].output_shape.with_batch(batch) : output_shape);
    const auto start =
        timing_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    entries_[i].layer->forward(*input, out, pass);
    if (timing_) {
      times_.forward_s[i] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    input = &out;
    i += fused ? 1 : 0;
  }
  return activations_.back();
}

void Model::backward(const Tensor& grad_output) {
  const Tensor* delta = &grad_output;
  for (std::size_t i = entries_.size(); i-- > 0;) {
    if (hands_buffer_on(i)) {
      // Undo forward's hand-over (layer i - 1's backward reads its own output), then hand the
      // gradient's buffer down the same way.
      std::swap(activations_[i], activations_[i - 1]);
      const Shape input_shape = entries_[i].input_shape.with_batch(activations_[i - 1].batch());
      activations_[i - 1].resize(input_shape);
      std::swap(deltas_[i], deltas_[i - 1]);
      deltas_[i - 1].resize(input_shape);
      delta = &deltas_[i - 1];
      continue;
    }
    if (i > 0 && fuses_next(i - 1, Mode::kTrain)) {
      continue;  // layer i - 1 takes this layer's output gradient
    }
    const std::size_t output = fuses_next(i, Mode::kTrain) ? i + 1 : i;
    const Tensor& input = i == 0 ? *last_input_ : activations_[i - 1];
    Tensor* grad_input = nullptr;
    if (i > 0) {
      grad_input = &deltas_[i - 1];
      grad_input->resize(input.shape());
    }
    const auto start =
        timing_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    entries_[i].layer->backward(input, activations_[output], *delta, grad_input);
    if (timing_) {
      times_.backward_s[i] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    delta = grad_input;
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

namespace {
// Keras 2.11's print_row: fixed column ends, text cut to fit and continued on the next line
// (breaking after "),"-like tokens), 2 spaces between columns.
void print_row(std::string& out, std::vector<std::string> fields, const std::vector<int>& ends) {
  auto any_left = [&] {
    return std::any_of(fields.begin(), fields.end(), [](const auto& f) { return !f.empty(); });
  };
  do {
    std::string line;
    for (std::size_t col = 0; col < fields.size(); ++col) {
      const int start = col > 0 ? ends[col - 1] : 0;
      const int space = col + 1 != ends.size() ? 2 : 0;
      std::size_t cutoff = static_cast<std::size_t>(std::max(0, ends[col] - start - space));
      std::string fit = fields[col].substr(0, cutoff);
      std::size_t best = std::string::npos;
      for (const char* token : {"),", "},", "],", "',"}) {
        const auto pos = fit.find(token);
        if (pos != std::string::npos) {
          best = std::min(best, pos + 2);
        }
      }
      if (best != std::string::npos) {
        cutoff = best;
        fit = fit.substr(0, cutoff);
      }
      if (col == 0) {
        line += " ";
      }
      line += fit;
      line += std::string(static_cast<std::size_t>(space), ' ');
      fields[col] = fields[col].size() > cutoff ? fields[col].substr(cutoff) : "";
      const auto target = static_cast<std::size_t>(ends[col]);
      if (line.size() < target) {
        line += std::string(target - line.size(), ' ');
      }
    }
    out += line + "\n";
  } while (any_left());
}
}  // namespace

std::string Model::summary(const std::string& model_name) const {
  constexpr int kWidth = 65;
  const std::vector<int> ends = {29, 55, 65};  // Keras: positions [.45, .85, 1.] of 65
  std::string out = fmt::format("Model: \"{}\"\n", model_name);
  out += std::string(kWidth, '_') + "\n";
  print_row(out, {"Layer (type)", "Output Shape", "Param #"}, ends);
  out += std::string(kWidth, '=') + "\n";
  std::int64_t total = 0;
  for (const auto& e : entries_) {
    std::int64_t count = 0;
    for (const auto& slot : e.slots) {
      count += slot.shape.elements();
    }
    total += count;
    print_row(out,
              {fmt::format("{} ({})", e.name, e.layer->type()), e.output_shape.keras_str(),
               std::to_string(count)},
              ends);
    out += std::string(kWidth, ' ') + "\n";
  }
  out += std::string(kWidth, '=') + "\n";
  out += fmt::format("Total params: {}\n", with_thousands(total));
  const auto trainable = static_cast<std::int64_t>(trainable_count_);
  out += fmt::format("Trainable params: {}\n", with_thousands(trainable));
  out += fmt::format("Non-trainable params: {}\n", with_thousands(total - trainable));
  out += std::string(kWidth, '_') + "\n";
  return out;
}

}  // namespace runner
