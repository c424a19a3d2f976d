// Dropout: inverted dropout (kept units scaled by 1/(1-rate)) in training only. The mask is a
// pure function of (seed, step, element), so it is the same on any thread count and on resume.
// With Keras' noise_shape, axes of size 1 share one mask value (the element's coordinate on
// them counts as 0), e.g. [null, 1, 1, 32] drops whole channels of an image.
#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/text.hpp"
#include "framework/core/workspace.hpp"
#include "framework/nn/layer_registry.hpp"

namespace runner {
namespace {

// Small enough that the reference model's 32 x 100 activations make several tasks: a serial
// stretch between two parallel layers lets oneTBB's worker fall asleep, and waking it costs more
// than the mask.
constexpr std::size_t kElementsPerTask = 512;

class Dropout final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "Dropout";

  static const Schema& schema() {
    // The seed is runner's: Keras' seeds a TensorFlow generator whose masks differ anyway.
    static const Schema s =
        Schema(std::string(kType), "randomly zeroes inputs in training, scaling the rest")
            .real("rate", "fraction of the inputs to drop")
            .required()
            .at_least(0)
            .below(1)
            .seed("seed", "mask seed (default: derived from the experiment seed)")
            .keras("")
            .any("noise_shape",
                 "the mask's shape, batch axis first: null or the input's size per axis, 1 to "
                 "share one mask value along it ([null, 1, 1, 32]: whole channels)",
                 YAML::Node(YAML::NodeType::Null));
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    // Each axis: 0 for null (the input's size), else the size given.
    std::vector<std::int64_t> noise;
    const YAML::Node node = p.node("noise_shape");
    if (node.IsDefined() && !node.IsNull()) {
      bool ok = node.IsSequence() && node.size() >= 2;
      for (std::size_t a = 0; ok && a < node.size(); ++a) {
        if (node[a].IsNull()) {
          noise.push_back(0);
          continue;
        }
        const auto size = node[a].IsScalar() ? parse_number(node[a].Scalar()) : std::nullopt;
        ok = size && *size >= 1 && *size == std::floor(*size);
        noise.push_back(ok ? static_cast<std::int64_t>(*size) : 0);
      }
      if (!ok) {
        p.error("noise_shape",
                "expected a list of the input's axes, batch first, each null or a "
                "whole number >= 1 (e.g. [null, 1, 1, 32])");
        return nullptr;
      }
    }
    return std::make_unique<Dropout>(p, std::move(noise));
  }

  Dropout(const Params& p, std::vector<std::int64_t> noise)
      : params_(p),
        rate_(p.real("rate")),
        seed_(static_cast<std::uint64_t>(p.integer("seed"))),
        noise_(std::move(noise)) {}

  [[nodiscard]] std::string_view type() const override { return kType; }
  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    if (noise_.empty()) {
      return input;
    }
    if (noise_.size() != static_cast<std::size_t>(input.rank()) + 1) {
      throw ShapeError(fmt::format("noise_shape has {} axes; the input {} has {} with the batch",
                                   noise_.size(), input.str(), input.rank() + 1));
    }
    for (std::size_t a = 1; a < noise_.size(); ++a) {
      const std::int64_t size = input[static_cast<long>(a) - 1];
      if (noise_[a] != 0 && noise_[a] != 1 && noise_[a] != size) {
        throw ShapeError(
            fmt::format("noise_shape axis {} is {}; it must be 1, null or the "
                        "input's {} (input {})",
                        a, noise_[a], size, input.str()));
      }
    }
    return input;
  }

  void prepare(const Shape& input, std::int64_t max_batch) override {
    scale_.resize(static_cast<std::size_t>(input.with_batch(max_batch).elements()));
    // Each element's offset in its sample's mask; without noise_shape it is the element's own
    // place, and no table is kept.
    const std::int64_t sample = input.elements();
    mask_offset_.clear();
    mask_sample_size_ = sample;
    shared_over_batch_ = !noise_.empty() && noise_[0] == 1;
    if (noise_.empty()) {
      return;
    }
    mask_offset_.resize(static_cast<std::size_t>(sample));
    const auto dims = input.dims();
    // Strides of the mask: axes of size 1 have no extent in it.
    std::vector<std::int64_t> mask_stride(dims.size());
    std::int64_t extent = 1;
    for (std::size_t a = dims.size(); a-- > 0;) {
      const bool shared = noise_[a + 1] == 1;
      mask_stride[a] = shared ? 0 : extent;
      extent *= shared ? 1 : dims[a];
    }
    mask_sample_size_ = extent;
    for (std::int64_t j = 0; j < sample; ++j) {
      std::int64_t rest = j;
      std::int64_t offset = 0;
      for (std::size_t a = dims.size(); a-- > 0;) {
        offset += (rest % dims[a]) * mask_stride[a];
        rest /= dims[a];
      }
      mask_offset_[static_cast<std::size_t>(j)] = offset;
    }
  }

  // Identity in inference, and in training at rate 0 (forward() below still copies for the
  // model's first layer).
  [[nodiscard]] bool passes_input_on(Mode mode) const override {
    return mode == Mode::kEval || rate_ == 0.0;
  }

  void forward(const Tensor& input, Tensor& output, const Pass& pass) override {
    const std::size_t n = input.size();
    masked_ = pass.mode == Mode::kTrain && rate_ > 0.0;
    if (!masked_) {
      std::copy(input.data(), input.data() + n, output.data());
      return;
    }
    // Keyed by mask element of the global batch: a data-parallel shard draws what one process
    // would. Without noise_shape the key of element i is base + global offset + i.
    const std::uint64_t base = derive_seed(seed_, pass.step);
    const auto sample = static_cast<std::size_t>(input.sample_size());
    const auto mask_sample = static_cast<std::uint64_t>(mask_sample_size_);
    const std::uint64_t first_sample = pass.sample_offset;
    const bool shared = shared_over_batch_;
    const bool identity = mask_offset_.empty();
    const auto keep_scale = static_cast<float>(1.0 / (1.0 - rate_));
    // unit_float(bits) >= rate, in integers: unit_float is the top 24 bits times 2^-24 exactly,
    // so it is at least rate exactly when those bits are at least ceil(rate * 2^24). The same
    // mask without a 64-bit integer to float conversion, which kept the loop scalar (9.3 ->
    // 2.4 ns per element on the AVX2 host).
    const auto threshold =
        static_cast<std::uint64_t>(std::ceil(static_cast<float>(rate_) * 16777216.0F));
    if (identity && !shared) {
      // Element i's key is then key0 + i: no per-element sample bookkeeping.
      const std::uint64_t key0 = base + first_sample * mask_sample;
      const float* in = input.data();
      float* out = output.data();
      float* scale = scale_.data();
      parallel_for(0, n, kElementsPerTask, [=](std::size_t first, std::size_t last) {
        for (std::size_t i = first; i < last; ++i) {
          const float keep = mix64(key0 + i) >> 40U >= threshold ? keep_scale : 0.0F;
          scale[i] = keep;
          out[i] = in[i] * keep;
        }
      });
      return;
    }
    parallel_for(0, n, kElementsPerTask, [&](std::size_t first, std::size_t last) {
      std::size_t n_in = first / sample;  // the sample of element i, and i's place in it
      std::size_t j = first % sample;
      for (std::size_t i = first; i < last; ++i) {
        const std::uint64_t s = shared ? 0 : first_sample + n_in;
        const std::uint64_t at = identity ? j : static_cast<std::uint64_t>(mask_offset_[j]);
        scale_[i] = mix64(base + s * mask_sample + at) >> 40U >= threshold ? keep_scale : 0.0F;
        output[i] = input[i] * scale_[i];
        if (++j == sample) {
          j = 0;
          ++n_in;
        }
      }
    });
  }

  void backward(const Tensor& /*input*/, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input == nullptr) {
      return;
    }
    const std::size_t n = grad_output.size();
    if (!masked_) {
      std::copy(grad_output.data(), grad_output.data() + n, grad_input->data());
      return;
    }
    for (std::size_t i = 0; i < n; ++i) {
      (*grad_input)[i] = grad_output[i] * scale_[i];
    }
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 private:
  Params params_;
  double rate_;
  std::uint64_t seed_;
  std::vector<std::int64_t> noise_;  // noise_shape, 0 for null; empty: the input's shape
  Workspace scale_;
  std::vector<std::int64_t> mask_offset_;  // per element of a sample: its offset in the mask
                                           // (empty: the element's own)
  std::int64_t mask_sample_size_ = 0;      // mask values per sample
  bool shared_over_batch_ = false;         // noise_shape's batch axis is 1
  bool masked_ = false;                    // whether the last forward applied a mask
};

}  // namespace
RUNNER_REGISTER_LAYER(Dropout);
}  // namespace runner
