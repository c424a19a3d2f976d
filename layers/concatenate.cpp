// Concatenate: Keras' merge layer, the inputs side by side along `axis` (default -1, the
// channels); every other dimension must be equal. Axis 0 is the batch and cannot be chosen.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "framework/core/errors.hpp"
#include "framework/nn/layer_registry.hpp"
#include "framework/nn/merge_layer.hpp"
#include "layers/kernels/merge.hpp"

namespace runner {
namespace {

class Concatenate final : public MergeLayer {
 public:
  static constexpr std::string_view kType = "Concatenate";

  static const Schema& schema() {
    static const Schema s = Schema(std::string(kType), "joins its inputs along one axis")
                                .integer("axis",
                                         "axis to join along, counting the batch as 0 "
                                         "(-1: the last)",
                                         -1);
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) { return std::make_unique<Concatenate>(p); }

  explicit Concatenate(const Params& p) : params_(p), axis_(p.integer("axis")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape merged_shape(std::span<const Shape> inputs) const override {
    const std::size_t rank = inputs.front().rank();
    const std::size_t axis = sample_axis(rank);
    std::vector<std::int64_t> out = inputs.front().dims();
    for (std::size_t k = 1; k < inputs.size(); ++k) {
      const std::vector<std::int64_t>& dims = inputs[k].dims();
      bool match = dims.size() == rank;
      for (std::size_t d = 0; match && d < rank; ++d) {
        match = d == axis || dims[d] == out[d];
      }
      if (!match) {
        std::vector<std::string> all;
        for (const Shape& s : inputs) {
          all.push_back(s.keras_str());
        }
        throw ShapeError(fmt::format("inputs {} must match in every dimension but axis {}",
                                     fmt::join(all, ", "), axis_));
      }
      out[axis] += dims[axis];
    }
    return Shape(out);
  }

  void prepare_merge(std::span<const Shape> inputs, std::int64_t /*max_batch*/) override {
    const std::size_t axis = sample_axis(inputs.front().rank());
    inner_.clear();
    outer_per_sample_ = 1;
    for (std::size_t d = 0; d < axis; ++d) {
      outer_per_sample_ *= inputs.front()[d];
    }
    for (const Shape& shape : inputs) {
      std::int64_t width = 1;
      for (std::size_t d = axis; d < shape.rank(); ++d) {
        width *= shape[d];
      }
      inner_.push_back(width);
    }
  }

  void forward_merge(std::span<const Tensor* const> inputs, Tensor& output) override {
    std::vector<const float*> data;
    for (const Tensor* t : inputs) {
      data.push_back(t->data());
    }
    kernels::concat_forward(arguments(output.batch()), data, output.data());
  }

  void backward_merge(std::span<const Tensor* const> /*inputs*/, const Tensor& output,
                      const Tensor& grad_output, std::span<Tensor* const> grad_inputs) override {
    std::vector<float*> data;
    for (Tensor* t : grad_inputs) {
      data.push_back(t != nullptr ? t->data() : nullptr);
    }
    kernels::concat_backward(arguments(output.batch()), grad_output.data(), data);
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 private:
  // The axis among the per-sample dimensions (Keras' axis counts the batch).
  [[nodiscard]] std::size_t sample_axis(std::size_t rank) const {
    const std::int64_t full_rank = static_cast<std::int64_t>(rank) + 1;
    const std::int64_t axis = axis_ < 0 ? axis_ + full_rank : axis_;
    if (axis_ == 0 || axis_ < -static_cast<std::int64_t>(rank) || axis >= full_rank) {
      throw ShapeError(
          fmt::format("axis {} is not a feature axis of inputs of rank {} (batch "
                      "included): use 1 to {} or -1 to -{}",
                      axis_, full_rank, rank, rank));
    }
    return static_cast<std::size_t>(axis - 1);
  }

  [[nodiscard]] kernels::ConcatArgs arguments(std::int64_t batch) const {
    return kernels::ConcatArgs{batch * outer_per_sample_, inner_};
  }

  Params params_;
  std::int64_t axis_;
  std::int64_t outer_per_sample_ = 1;
  std::vector<std::int64_t> inner_;  // [k]: floats of input k per outer index
};

}  // namespace
RUNNER_REGISTER_LAYER(Concatenate);
}  // namespace runner
