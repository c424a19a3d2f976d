#pragma once
// The layer contract. A layer is bookkeeping around kernels (layers/kernels/): it knows its
// shapes, declares its parameters, owns the workspaces its kernels need, and calls them.
// The Model owns parameter memory (one flat block) and hands each layer its views in bind().
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/rng.hpp"
#include "framework/core/schema.hpp"
#include "framework/core/shape.hpp"
#include "framework/core/tensor.hpp"

namespace runner {

enum class Mode { kTrain, kEval };

class MergeLayer;

// What one forward pass is for. `step` is the global training step: stochastic layers
// (Dropout) derive their randomness from (seed, step, element), so a pass can be replayed
// exactly, on any thread count and after a resume.
struct Pass {
  Mode mode = Mode::kEval;
  std::uint64_t step = 0;
  // Where this batch starts within the step's global batch (data-parallel shards), so
  // randomness keyed by sample (dropout) is the same as in one process.
  std::uint64_t sample_offset = 0;
  // Inference: the tensor a residual Add this layer computes adds to its output (fuse_sum).
  const Tensor* addend = nullptr;
};

// One weight tensor as seen by optimizers and checkpoints ("kernel", "bias"). Non-trainable
// ones (BatchNormalization's moving statistics) are saved but never given to the optimizer.
// A penalty (Keras' kernel_regularizer, ...) adds to the loss and its gradient.
struct ParamSlot {
  std::string name;
  Shape shape;
  bool trainable = true;
  Penalty penalty{};
};

// What a pooling layer computes, for a layer before it that can fuse it (Conv2D).
struct PoolingWindow {
  enum class Kind { kMax, kAverage };
  Kind kind = Kind::kMax;
  long height = 0, width = 0, stride_h = 0, stride_w = 0;
  bool same_padding = false;
};

class Layer {
 public:
  virtual ~Layer() = default;

  // Registry key and YAML `type:`, e.g. "Conv2D".
  [[nodiscard]] virtual std::string_view type() const = 0;
  // Pure shape rule, batch dimension excluded. Throws ShapeError (the Model adds the name).
  [[nodiscard]] virtual Shape output_shape(const Shape& input) const = 0;
  // Parameters this layer needs for `input`, in checkpoint order; empty for weightless layers.
  [[nodiscard]] virtual std::vector<ParamSlot> param_slots(const Shape& input) const = 0;
  // Requires: params/grads follow param_slots(input) order. Keeps the views and initializes
  // params from `init` (Keras' initializers).
  virtual void bind(std::span<const TensorView> params, std::span<const TensorView> grads,
                    Rng& init) = 0;
  // Sizes workspaces for batches up to `max_batch`, so forward/backward never allocate.
  virtual void prepare(const Shape& input, std::int64_t max_batch) = 0;

  // Requires: bind() and prepare() done; input is {batch, input shape}, batch <= max_batch;
  // output already has shape {batch, output_shape(input)}.
  virtual void forward(const Tensor& input, Tensor& output, const Pass& pass) = 0;
  // Requires: the last forward() saw `input` and produced `output`. Adds dL/dparams to the
  // grads views; writes dL/dinput into *grad_input unless it is null (first layer).
  virtual void backward(const Tensor& input, const Tensor& output, const Tensor& grad_output,
                        Tensor* grad_input) = 0;

  // Resolved hyper-parameters in YAML form (written to run folders and checkpoints).
  [[nodiscard]] virtual YAML::Node config() const = 0;

  // Fusion, asked by the model once layers are prepared (and again when fusion is switched):
  // whether this layer will also compute `next` (the layer after it, whose input is this
  // layer's output), in which passes; next null means no fusion for now. When it does, the
  // model hands forward() next's output tensor and backward() next's output and output
  // gradient, and skips next. Conv2D takes a following 2x2 max pooling this way: the
  // convolution's full output is never written, nor its gradient read back. A layer fused in
  // for inference only may itself fuse the layer after it (in both passes); in inference the
  // first layer of such a chain then writes the chain's last output (Conv2D, then
  // BatchNormalization with its ReLU). A layer may also agree with `next` on a fusion the
  // model does not see (Conv2D evaluating BatchNormalization's input gradient), through an
  // interface of theirs; it undoes it at its next fuse_next call.
  enum class Fusion { kNone, kInference, kAlways };
  virtual Fusion fuse_next(Layer* /*next*/) { return Fusion::kNone; }
  // The window of a pooling layer (what fuse_next asks of `next`); empty for other layers.
  [[nodiscard]] virtual std::optional<PoolingWindow> pooling_window() const { return {}; }
  // The element-wise function a layer that does nothing else applies (an Activation layer's
  // "relu", a LeakyReLU layer's "leaky_relu" with its slope), for fuse_next; an empty name for
  // other layers.
  struct ElementwiseFunction {
    std::string_view name;  // Keras' activation name
    float alpha = 0.2F;     // leaky_relu's slope below zero
  };
  [[nodiscard]] virtual ElementwiseFunction elementwise_activation() const { return {}; }
  // Whether, in inference, this layer is y = x * scale[c] + shift[c] over the last axis, then
  // *after (BatchNormalization, with the activation it fuses; an empty name for none): fills
  // scale and shift (one value per channel) and *after as its own inference pass would use
  // them. A layer before it may then fuse it in inference (fuse_next) and apply it to its own
  // output in cache.
  virtual bool inference_affine(std::span<float> /*scale*/, std::span<float> /*shift*/,
                                ElementwiseFunction* /*after*/) const {
    return false;
  }

  // Inference only, asked by the model (after fuse_next) of a layer that computes a chain in
  // inference, itself or with the layers it fuses, when the chain's output is one input of a
  // two-input Add right after it: whether it will also compute that Add, then max(0, .) when
  // `relu` (the ReLU the Add fuses), adding the Add's other input (Pass::addend, computed before
  // this layer) to each chunk of its output in cache. A residual block's Conv2D ->
  // BatchNormalization -> Add -> ReLU then writes one tensor, not two, and never reads the
  // convolution's output back. Undone by fuse_next.
  virtual bool fuse_sum(bool /*relu*/) { return false; }
  // Whether, in inference, this layer's output is the sum of its two inputs of one shape, then
  // max(0, .) when *relu (Add, with the ReLU it fuses): what fuse_sum offers a layer before it.
  virtual bool inference_sum(bool* /*relu*/) const { return false; }

  // Whether, in `mode`, the output holds the input's floats in the same order, only the shape
  // changing: Flatten and Reshape always, Dropout and the random augmentation layers in
  // inference. The model then hands the input's buffer on as the output (and in training the
  // output gradient's buffer back as the input gradient) instead of calling forward() and
  // backward(), which must still copy: the model's first layer reads an input the model does not
  // own.
  [[nodiscard]] virtual bool passes_input_on(Mode /*mode*/) const { return false; }

  // The layer as a merge layer (several inputs, framework/nn/merge_layer.hpp), or null.
  virtual MergeLayer* as_merge() { return nullptr; }
  [[nodiscard]] const MergeLayer* as_merge() const { return const_cast<Layer*>(this)->as_merge(); }

  // Lets a sparse categorical cross-entropy compute from logits (numerically stable, as
  // Keras does): a layer ending in softmax stops applying it and returns true.
  virtual bool emit_logits() { return false; }
};

// Base for layers without parameters (Dropout, Flatten, MaxPooling2D).
class StatelessLayer : public Layer {
 public:
  [[nodiscard]] std::vector<ParamSlot> param_slots(const Shape& /*input*/) const final {
    return {};
  }
  void bind(std::span<const TensorView> /*params*/, std::span<const TensorView> /*grads*/,
            Rng& /*init*/) final {}
};

}  // namespace runner
