#pragma once
// A model: layers in order, one flat parameter block and one flat gradient block (one
// optimizer loop, one checkpoint write, cheap best-weights snapshots). Each layer reads the
// output of the layer before it (Keras' Sequential), or, in a graph model (Keras' Functional),
// the outputs of the layers it names, declared above it; the last layer is the output.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "framework/nn/layer.hpp"

namespace runner {

class Model {
 public:
  Model() = default;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Appends a layer. An empty name is numbered as Keras does ("conv2d", "conv2d_1", ...).
  // `inputs` names the layers (declared before) or the model input (input_name()) it reads;
  // empty means the previous layer, or the model input for the first one. Naming inputs
  // makes the model a graph model. Throws Error on a duplicate or unknown name.
  void add(std::unique_ptr<Layer> layer, std::string name = "",
           const std::vector<std::string>& inputs = {});

  // The model input's name in graph models (Keras' InputLayer, "input_1" by default).
  // Requires: no layer added yet.
  void set_input_name(std::string name);
  [[nodiscard]] const std::string& input_name() const { return input_name_; }
  // Whether some layer named its inputs (Keras' Functional model, not Sequential).
  [[nodiscard]] bool is_graph() const { return graph_; }

  // Checks every layer's shapes first (ShapeError names the layer) and that every layer
  // leads to the output, then allocates the parameters and initializes them from `seed`.
  void build(const Shape& input_shape, std::uint64_t seed);
  // Sizes activations, gradients and layer workspaces for batches up to `max_batch`.
  void prepare(std::int64_t max_batch);
  [[nodiscard]] bool built() const { return built_; }

  // Requires: build() and prepare(); x is {batch, input_shape}. Returns the last activation
  // (logits if use_logits_output() said yes). Layers that fuse their successor
  // (Layer::fuse_next) compute both: the skipped layer's time counts in theirs. Inference of a
  // batch whose activations outgrow the caches runs it inference_group() samples at a time
  // through every layer.
  const Tensor& forward(const Tensor& x, const Pass& pass);
  // forward() for callers that refill x for every batch (evaluate, predict): in inference, a
  // first layer that passes its input on (Layer::passes_input_on: a Flatten before Dense layers)
  // takes x's buffer instead of copying it. x's contents are then unspecified; it keeps room for
  // prepare()'s max batch.
  const Tensor& forward_taking(Tensor& x, const Pass& pass);
  // The samples an inference forward of `batch` takes through the layers at once: all of them,
  // or a group when the batch's largest activation passes kInferenceCacheBytes (and grouping is
  // on, the default; off is the reference tests compare it with). The group is kInferenceGroup
  // samples, or kLargeActivationGroup when a group of that many would write an activation past
  // kInferenceCacheBytes (layers fused into the one before them write none).
  [[nodiscard]] std::int64_t inference_group(std::int64_t batch) const;
  void set_inference_groups(bool on) { inference_groups_on_ = on; }
  static constexpr std::int64_t kInferenceGroup = 64;
  static constexpr std::int64_t kLargeActivationGroup = 32;
  static constexpr std::size_t kInferenceCacheBytes = std::size_t{4} << 20;
  // Requires: forward() just ran on the same batch. Adds to gradients().
  void backward(const Tensor& grad_output);
  void zero_gradients();

  // Layer fusion (Layer::fuse_next) on, the default, or off. Fused and unfused models give
  // bitwise the same results; off is the reference the fused path is tested against.
  void set_fusion(bool on);
  // Whether layer i computes layer i + 1 in passes of `mode` (Layer::fuse_next).
  [[nodiscard]] bool fuses_next(std::size_t i, Mode mode) const;
  // Whether layer i passes its input's buffer on instead of running in `mode`
  // (Layer::passes_input_on; not from the model's input, nor the last layer, nor to a second
  // reader).
  [[nodiscard]] bool hands_buffer_on(std::size_t i, Mode mode) const;

  // The last layer stops applying softmax; returns whether it did.
  bool use_logits_output();
  [[nodiscard]] bool outputs_logits() const { return logits_; }

  [[nodiscard]] std::span<float> parameters() { return params_; }
  [[nodiscard]] std::span<const float> parameters() const { return params_; }
  [[nodiscard]] std::span<float> gradients() { return grads_; }
  [[nodiscard]] std::size_t parameter_count() const { return params_.size(); }
  // The leading part of parameters()/gradients() the optimizer updates; the rest (moving
  // statistics) layers update themselves in training forwards.
  [[nodiscard]] std::span<float> trainable_parameters() {
    return std::span<float>(params_).first(trainable_count_);
  }
  [[nodiscard]] std::span<float> trainable_gradients() {
    return std::span<float>(grads_).first(trainable_count_);
  }
  [[nodiscard]] std::size_t trainable_count() const { return trainable_count_; }
  // Sizes of the trainable weights in the order trainable_parameters() lays them out.
  [[nodiscard]] std::vector<std::size_t> trainable_sizes() const;

  // The weights' penalties (Keras' regularization losses): their sum, which Keras adds to the
  // training and evaluation loss, and their gradient, added to gradients().
  [[nodiscard]] double penalty() const;
  void add_penalty_gradients();

  // Entry::inputs value for the model's input.
  static constexpr long kModelInput = -1;
  struct Entry {
    std::string name;
    std::unique_ptr<Layer> layer;
    std::vector<long> inputs;  // indices of the entries read, or kModelInput
    std::vector<Shape> input_shapes;
    Shape input_shape;  // input_shapes[0]
    Shape output_shape;
    std::vector<ParamSlot> slots;
    std::vector<TensorView> params;
    std::vector<TensorView> grads;
  };
  [[nodiscard]] std::size_t size() const { return entries_.size(); }
  [[nodiscard]] const Entry& entry(std::size_t i) const { return entries_[i]; }
  // How many layers read layer i's output (after build()).
  [[nodiscard]] std::size_t consumer_count(std::size_t i) const { return consumers_[i]; }
  // Whether backward computes the gradient of layer i's output: layer i or a layer it reads
  // (directly or not) has trainable weights (after build()).
  [[nodiscard]] bool wants_gradient(std::size_t i) const { return wants_gradient_[i]; }
  [[nodiscard]] const Shape& input_shape() const { return input_shape_; }
  // Backward's output gradients in buffers shared by those never needed at once, the default,
  // or each in its own (the reference tests compare with), and how many buffers that takes.
  void set_gradient_sharing(bool on);
  [[nodiscard]] std::size_t gradient_buffer_count() const { return gradient_buffers_.size(); }
  [[nodiscard]] const Shape& output_shape() const;

  // Per-layer wall time of forward/backward calls since enabled (for profiling; off by default).
  struct LayerTimes {
    std::vector<double> forward_s, backward_s;
  };
  void enable_timing(bool on);
  [[nodiscard]] const LayerTimes& layer_times() const { return times_; }

  // Keras' model.summary() text, character for character (Keras 2.11 layout): with the
  // InputLayer row and the "Connected to" column for graph models (model_summary.cpp).
  [[nodiscard]] std::string summary(const std::string& model_name = "sequential") const;

 private:
  // Shapes through the graph, consumers, and the check that every layer leads to the output.
  void check_graph();
  // Which input gradients must be added to one already written (fan-out), and their buffers.
  void plan_gradient_sums();
  // The tensor layer i reads as input k during forward and backward.
  [[nodiscard]] const Tensor& input_of(std::size_t i, std::size_t k) const;
  // Every input of layer i, in the order it names them (for a merge layer's calls).
  [[nodiscard]] std::vector<const Tensor*> merge_inputs(std::size_t i) const;
  // Runs layer i forward into `out` (merge layers with all their inputs).
  void forward_layer(std::size_t i, Tensor& out, const Pass& pass);
  // Every layer forward on the whole of x.
  const Tensor& forward_batch(const Tensor& x, const Pass& pass, Tensor* takeable = nullptr);
  // forward() of x, whose buffer a first layer may take when `takeable` (x itself) is set.
  const Tensor& forward_from(const Tensor& x, const Pass& pass, Tensor* takeable);
  // Whether layer i, in `mode`, takes the buffer of the model input it alone reads.
  [[nodiscard]] bool takes_model_input(std::size_t i, Mode mode) const;
  // Asks each layer whether it fuses its successor (fusion_), then plan_fused_sums.
  void plan_fusion();
  // Offers each inference chain's head the residual Add right after the chain (Layer::fuse_sum);
  // where the head takes it, the chain's last layer counts as computing the Add (fusion_).
  void plan_fused_sums();
  // The Add's other input, which head adds to its chain's output (fused_sum_[head] set).
  [[nodiscard]] const Tensor& addend_of(std::size_t head) const;
  // Whether backward computes the gradient of `input` (an entry index or kModelInput).
  [[nodiscard]] bool gradient_flows_to(long input) const;
  // Whether backward calls layer i's backward (a layer not handing its buffer on).
  [[nodiscard]] bool runs_backward(std::size_t i) const;
  // Shares buffers among the output gradients and sum scratch that are never needed at the same
  // time in backward (after prepare() and whenever fusion changes).
  void plan_gradient_buffers();
  // Runs layer i's backward: its input gradients go to the inputs' deltas, or to scratch
  // buffers then added to them where another consumer already wrote them.
  void backward_layer(std::size_t i, const Tensor& output, const Tensor& grad_output);

  std::vector<Entry> entries_;
  std::string input_name_ = "input_1";
  bool graph_ = false;
  std::vector<std::size_t> consumers_;         // consumers_[i]: layers reading layer i
  std::size_t input_readers_ = 0;              // layers reading the model input
  std::vector<bool> wants_gradient_;           // [i]: backward needs dL/d(output of layer i)
  std::vector<std::vector<bool>> sums_into_;   // [i][k]: input k's gradient is added
  std::vector<std::vector<Tensor*>> scratch_;  // [i][k]: its buffer when it is
  Shape input_shape_;
  std::vector<float> params_;
  std::vector<float> grads_;
  std::size_t trainable_count_ = 0;
  std::vector<Tensor> activations_;  // activations_[i] = output of layer i
  // deltas_[i] = dL/d(output of layer i), in one of gradient_buffers_ (plan_gradient_buffers).
  std::vector<Tensor*> deltas_;
  std::vector<Tensor> gradient_buffers_;
  std::vector<Layer::Fusion> fusion_;  // fusion_[i]: when layer i computes layer i + 1
  static constexpr long kNoSum = -1;
  std::vector<long> fused_sum_;  // [head]: the Add its chain computes in inference, or kNoSum
  bool fusion_on_ = true;
  bool inference_groups_on_ = true;
  bool gradient_sharing_on_ = true;
  const Tensor* last_input_ = nullptr;
  std::int64_t max_batch_ = 0;
  std::size_t largest_activation_ = 0;   // floats per sample of the largest layer output
  std::size_t largest_written_ = 0;      // the same over outputs inference writes (plan_fusion)
  Tensor group_input_, grouped_output_;  // an inference group's input; the whole batch's output
  bool timing_ = false;
  LayerTimes times_;
  bool built_ = false;
  bool logits_ = false;
};

}  // namespace runner
