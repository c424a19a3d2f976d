#pragma once
// The contract of layers that combine several inputs into one output (Keras' merge layers:
// Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate). They appear only in graph
// models, where a layer names its inputs; the Model calls the span forms below. The
// one-input forms of Layer are closed off: the Model never calls them on a merge layer.
#include <span>
#include <stdexcept>

#include "framework/nn/layer.hpp"

namespace runner {

class MergeLayer : public StatelessLayer {
 public:
  // Shape rule over all inputs (batch excluded), in the order the layer names them. Throws
  // ShapeError, e.g. for fewer than two inputs or shapes that do not combine.
  [[nodiscard]] virtual Shape merged_shape(std::span<const Shape> inputs) const = 0;
  // Sizes workspaces for batches up to `max_batch`.
  virtual void prepare_merge(std::span<const Shape> /*inputs*/, std::int64_t /*max_batch*/) {}
  // Requires: prepare() done; every input is {batch, its shape}; output has the output shape.
  virtual void forward_merge(std::span<const Tensor* const> inputs, Tensor& output) = 0;
  // Writes dL/dinput k into *grad_inputs[k], skipping null ones (the model's own input).
  virtual void backward_merge(std::span<const Tensor* const> inputs, const Tensor& output,
                              const Tensor& grad_output, std::span<Tensor* const> grad_inputs) = 0;

  MergeLayer* as_merge() final { return this; }

  [[nodiscard]] Shape output_shape(const Shape& input) const final {
    return merged_shape(std::span<const Shape>(&input, 1));
  }
  void prepare(const Shape& input, std::int64_t max_batch) final {
    prepare_merge(std::span<const Shape>(&input, 1), max_batch);
  }
  void forward(const Tensor& /*input*/, Tensor& /*output*/, const Pass& /*pass*/) final {
    throw std::logic_error("a merge layer is called with all its inputs");
  }
  void backward(const Tensor& /*input*/, const Tensor& /*output*/, const Tensor& /*grad_output*/,
                Tensor* /*grad_input*/) final {
    throw std::logic_error("a merge layer is called with all its inputs");
  }
};

}  // namespace runner
