#pragma once
// The shared body of Keras' element-wise merge layers (Add, Subtract, Multiply, Average,
// Maximum, Minimum): shapes broadcast as Keras' _compute_elemwise_op_output_shape does (aligned
// at the end, a size-1 dimension repeats), the math in layers/kernels/merge.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <string>
#include <vector>

#include "framework/core/errors.hpp"
#include "framework/nn/layer_registry.hpp"
#include "framework/nn/merge_layer.hpp"
#include "layers/kernels/merge.hpp"

namespace runner {

class ElementwiseMergeLayer : public MergeLayer {
 public:
  ElementwiseMergeLayer(std::string_view type, kernels::ElementwiseMerge op,
                        std::size_t exact_inputs = 0)
      : type_(type), op_(op), exact_inputs_(exact_inputs) {}

  [[nodiscard]] std::string_view type() const final { return type_; }

  [[nodiscard]] Shape merged_shape(std::span<const Shape> inputs) const final {
    if (exact_inputs_ != 0 && inputs.size() != exact_inputs_) {
      throw ShapeError(
          fmt::format("takes exactly {} inputs, got {}", exact_inputs_, inputs.size()));
    }
    if (inputs.size() > kernels::kMaxMergeInputs) {
      throw ShapeError(
          fmt::format("takes at most {} inputs, got {}", kernels::kMaxMergeInputs, inputs.size()));
    }
    std::vector<std::int64_t> out;
    for (const Shape& shape : inputs) {
      const std::vector<std::int64_t> dims = shape.dims();
      std::vector<std::int64_t> longer = dims.size() > out.size() ? dims : out;
      const std::vector<std::int64_t>& shorter = dims.size() > out.size() ? out : dims;
      const std::size_t shift = longer.size() - shorter.size();
      for (std::size_t d = 0; d < shorter.size(); ++d) {
        std::int64_t& a = longer[shift + d];
        const std::int64_t b = shorter[d];
        if (a != b && a != 1 && b != 1) {
          std::vector<std::string> all;
          for (const Shape& s : inputs) {
            all.push_back(s.keras_str());
          }
          throw ShapeError(
              fmt::format("inputs have incompatible shapes {} (each dimension must "
                          "be equal or 1, aligned at the end)",
                          fmt::join(all, " and ")));
        }
        a = a == 1 ? b : a;
      }
      out = longer;
    }
    return Shape(out);
  }

  void prepare_merge(std::span<const Shape> inputs, std::int64_t /*max_batch*/) final {
    const Shape out = merged_shape(inputs);
    input_dims_.clear();
    for (const Shape& shape : inputs) {
      // Right-aligned to the output's rank, then the batch in front.
      std::vector<std::int64_t> dims(out.rank() - shape.rank() + 1, 1);
      for (const auto d : shape.dims()) {
        dims.push_back(d);
      }
      input_dims_.push_back(dims);
    }
  }

  void forward_merge(std::span<const Tensor* const> inputs, Tensor& output) final {
    Arguments a = arguments(inputs, output);
    a.args.inputs = a.inputs;
    kernels::merge_forward(a.args, output.data());
  }

  void backward_merge(std::span<const Tensor* const> inputs, const Tensor& output,
                      const Tensor& grad_output, std::span<Tensor* const> grad_inputs) final {
    Arguments a = arguments(inputs, output);
    a.args.inputs = a.inputs;
    // The inputs that get the output gradient as it is (a residual Add's two) in one pass.
    std::array<float*, kernels::kMaxMergeInputs> shared{};
    std::size_t shared_count = 0;
    for (std::size_t k = 0; k < grad_inputs.size(); ++k) {
      if (grad_inputs[k] == nullptr) {
        continue;
      }
      if (kernels::passes_gradient_through(a.args, k)) {
        shared[shared_count++] = grad_inputs[k]->data();
      } else {
        kernels::merge_backward(a.args, output.data(), grad_output.data(), k,
                                grad_inputs[k]->data());
      }
    }
    if (shared_count > 0) {
      kernels::merge_backward_shared(a.args, output.data(), grad_output.data(),
                                     {shared.data(), shared_count});
    }
  }

  // A following ReLU (a residual block's Add, then ReLU) is computed in the same passes: its
  // forward in the merge's, its backward before the merge's (one trip less each way over the
  // activations). Fused, `output` and `grad_output` above are the ReLU's.
  Fusion fuse_next(Layer* next) final {
    fused_relu_ = next != nullptr && next->elementwise_activation().name == "relu";
    return fused_relu_ ? Fusion::kAlways : Fusion::kNone;
  }

  // A two-input Add of one shape, with its fused ReLU: a convolution computing one input adds
  // the other in its own output pass (Layer::fuse_sum).
  bool inference_sum(bool* relu) const final {
    *relu = fused_relu_;
    return op_ == kernels::ElementwiseMerge::kAdd && input_dims_.size() == 2 &&
           input_dims_[0] == input_dims_[1];
  }

  [[nodiscard]] YAML::Node config() const final {
    YAML::Node node;
    node["type"] = std::string(type_);
    return node;
  }

 private:
  struct Arguments {
    std::vector<kernels::MergeInput> inputs;
    kernels::ElementwiseMergeArgs args;
  };
  // The kernel's view of this batch; the caller points args.inputs at inputs.
  [[nodiscard]] Arguments arguments(std::span<const Tensor* const> inputs,
                                    const Tensor& output) const {
    Arguments a;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      std::vector<std::int64_t> dims = input_dims_[k];
      dims[0] = inputs[k]->batch();
      a.inputs.push_back(kernels::MergeInput{inputs[k]->data(), dims});
    }
    a.args.op = op_;
    a.args.relu = fused_relu_;
    a.args.output_dims = output.shape().dims();
    return a;
  }

  std::string_view type_;
  kernels::ElementwiseMerge op_;
  std::size_t exact_inputs_;
  std::vector<std::vector<std::int64_t>> input_dims_;  // [k]: batch, then right-aligned dims
  bool fused_relu_ = false;  // a following ReLU layer runs here (fuse_next)
};

}  // namespace runner
