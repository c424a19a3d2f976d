// Dense: y = act(x W + b) with Keras' kernel layout (in, out) and glorot_uniform.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "framework/core/errors.hpp"
#include "framework/core/parallel.hpp"
#include "framework/core/workspace.hpp"
#include "framework/nn/layer_registry.hpp"
#include "layers/kernels/batch_norm.hpp"
#include "layers/kernels/bias.hpp"
#include "layers/kernels/dense_small.hpp"
#include "layers/kernels/gemm.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

// Fixed work splits (they depend on the shapes only, never on the thread count, so neither do
// the results).
// Forward: tasks of 16 rows each read the whole kernel, and each GEMM call packs the part of the
// kernel it is given. That suits a kernel smaller than the batch's inputs; when the kernel is
// the larger of the two (units >= batch), tasks take blocks of columns over all rows instead,
// so the kernel is read and packed once per step (MLP 512 -> 512 at batch 64-256, AVX2 host),
// or on many inputs blocks of inputs (forward_inputs). With AVX-512, column blocks of up to 1024
// inputs run dense_small's register kernel, which reads the kernel in place and packs nothing.
constexpr std::size_t kRowsPerTask = 16;
constexpr long kMaxColumnTasks = 4;
constexpr long kMinColumnsPerTask = 64;
// Backward works on blocks of inputs of at most 392 (the reference model's 3136 in 8), of equal
// size (512 inputs in blocks of 392 and 120 left one of two threads idle most of the step).
constexpr long kMaxInputsPerTask = 392;

// `count` blocks of `width` (the last one may be shorter).
struct Blocks {
  long count, width;
};

// `total` in `count` blocks as equal as they can be.
Blocks even_blocks(long total, long count) {
  return {count, (total + count - 1) / count};
}

// The forward's column blocks; count 1 means row tasks instead.
Blocks forward_columns(long batch, long units) {
  if (units < batch) {
    return {1, units};
  }
  return even_blocks(units, std::clamp(units / kMinColumnsPerTask, 1L, kMaxColumnTasks));
}

// The forward's blocks of inputs: a batch no larger than the units, on many inputs (the
// reference model's 3136 -> 100 at batch 32, VGG's 3136 -> 128). Row tasks of 16 rows packed the
// whole kernel each, column tasks their columns for 32 rows of products: blocks of inputs over
// all rows and units halve the kernel each task packs and reads, and their partial sums are added
// in block order (forward per step, runner_bench --profile, 2 threads: reference 0.102 -> 0.073
// ms, VGG 0.175-0.191 -> 0.103-0.158, 3136 -> 512 at batch 32 0.355-0.379 -> 0.317-0.321).
constexpr long kForwardInputBlocks = 2;
constexpr long kMinInputsPerForwardBlock = 1024;
Blocks forward_inputs(long batch, long units, long inputs) {
  if (units < batch || inputs < kForwardInputBlocks * kMinInputsPerForwardBlock) {
    return {1, inputs};
  }
  return even_blocks(inputs, kForwardInputBlocks);
}

// The backward's blocks of inputs.
Blocks backward_inputs(long inputs) {
  return even_blocks(inputs, (inputs + kMaxInputsPerTask - 1) / kMaxInputsPerTask);
}

using kernels::as_int;

class Dense final : public Layer {
 public:
  static constexpr std::string_view kType = "Dense";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "fully connected: y = activation(x kernel + bias)");
      out.integer("units", "output size").required().at_least(1);
      declare_activation(out);
      out.flag("use_bias", "add a bias vector", true);
      declare_regularizer(out, "kernel");
      declare_regularizer(out, "bias");
      return out;
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) { return std::make_unique<Dense>(p); }

  explicit Dense(const Params& p)
      : params_(p),
        units_(static_cast<long>(p.integer("units"))),
        activation_(activation_of(p)),
        use_bias_(p.flag("use_bias")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    if (input.rank() != 1) {
      throw ShapeError(fmt::format("expects rank-1 input, got {}; add Flatten", input.str()));
    }
    return Shape{units_};
  }

  [[nodiscard]] std::vector<ParamSlot> param_slots(const Shape& input) const override {
    (void)output_shape(input);
    std::vector<ParamSlot> slots{
        {"kernel", Shape{input[0], units_}, true, params_.penalty("kernel_regularizer")}};
    if (use_bias_) {
      slots.push_back({"bias", Shape{units_}, true, params_.penalty("bias_regularizer")});
    }
    return slots;
  }

  void bind(std::span<const TensorView> params, std::span<const TensorView> grads,
            Rng& init) override {
    kernel_ = params[0];
    kernel_grad_ = grads[0];
    inputs_ = static_cast<long>(kernel_.shape[0]);
    glorot_uniform(kernel_.span(), static_cast<double>(inputs_), static_cast<double>(units_), init);
    if (use_bias_) {
      bias_ = params[1];
      bias_grad_ = grads[1];
      std::fill(bias_.span().begin(), bias_.span().end(), 0.0F);
    }
  }

  void prepare(const Shape& /*input*/, std::int64_t max_batch) override {
    delta_.resize(static_cast<std::size_t>(max_batch * units_));
    partials_.resize(static_cast<std::size_t>((kForwardInputBlocks - 1) * max_batch * units_));
    epilogue_.resize(units_);
  }

  void forward(const Tensor& input, Tensor& output, const Pass& pass) override {
    const std::optional<kernels::ChannelAffine> epilogue = epilogue_.for_pass(pass, output, kType);
    const float* bias = use_bias_ ? bias_.data : nullptr;
    const long batch = input.batch();
    if (kernels::dense_few_inputs_apply(inputs_, units_)) {
      small_forward(input, output, kernels::dense_few_inputs, kernel_.data);
      apply_epilogue(epilogue, output);
      return;
    }
    if (kernels::dense_few_units_apply(inputs_, units_)) {
      kernel_transposed_.resize(static_cast<std::size_t>(inputs_ * units_));
      kernels::transpose_matrices(1, inputs_, units_, kernel_.data, kernel_transposed_.data());
      small_forward(input, output, kernels::dense_few_units, kernel_transposed_.data());
      apply_epilogue(epilogue, output);
      return;
    }
    const Blocks columns = forward_columns(batch, units_);
    const Blocks input_blocks = forward_inputs(batch, units_, inputs_);
    if (input_blocks.count > 1) {
      input_blocks_forward(input, output, input_blocks);
      apply_epilogue(epilogue, output);
      return;
    }
    if (columns.count == 1) {
      parallel_for(0, static_cast<std::size_t>(batch), kRowsPerTask,
                   [&](std::size_t first, std::size_t last) {
                     const auto r0 = static_cast<long>(first);
                     const auto rows = static_cast<long>(last - first);
                     float* y = output.data() + r0 * units_;
                     kernels::gemm(false, false, as_int(rows), as_int(units_), as_int(inputs_),
                                   1.0F, input.data() + r0 * inputs_, as_int(inputs_), kernel_.data,
                                   as_int(units_), 0.0F, y, as_int(units_));
                     kernels::add_bias_activate(y, bias, activation_.applied(), rows, units_);
                     if (epilogue) {  // while the rows are in cache
                       kernels::channel_affine_rows(rows, units_, epilogue->rows_from(r0 * units_),
                                                    y, y);
                     }
                   });
      return;
    }
    // Softmax needs whole rows: it runs after the column blocks; the element-wise activations
    // run inside them, row by row, while the block is in cache.
    const bool per_block = activation_.applied() != kernels::Activation::kSoftmax;
    parallel_for(
        0, static_cast<std::size_t>(columns.count), 1, [&](std::size_t first, std::size_t last) {
          for (auto block = static_cast<long>(first); block < static_cast<long>(last); ++block) {
            const long c0 = block * columns.width;
            const long cols = std::min(units_, c0 + columns.width) - c0;
            float* out = output.data() + c0;
            const float* block_bias = bias != nullptr && per_block ? bias + c0 : nullptr;
            if (kernels::dense_column_block_applies(inputs_)) {
              kernels::dense_column_block(
                  {batch, inputs_, cols, input.data(), kernel_.data + c0, block_bias, out}, units_,
                  per_block ? activation_.applied() : kernels::Activation::kLinear);
              continue;
            }
            kernels::gemm(false, false, as_int(batch), as_int(cols), as_int(inputs_), 1.0F,
                          input.data(), as_int(inputs_), kernel_.data + c0, as_int(units_), 0.0F,
                          out, as_int(units_));
            for (long r = 0; per_block && r < batch; ++r) {
              kernels::add_bias_activate(out + r * units_, block_bias, activation_.applied(), 1,
                                         cols);
            }
          }
        });
    if (!per_block) {
      parallel_for(0, static_cast<std::size_t>(batch), kRowsPerTask,
                   [&](std::size_t first, std::size_t last) {
                     kernels::add_bias_activate(output.data() + first * units_, bias,
                                                activation_.applied(),
                                                static_cast<long>(last - first), units_);
                   });
    }
    apply_epilogue(epilogue, output);
  }

  void backward(const Tensor& input, const Tensor& output, const Tensor& grad_output,
                Tensor* grad_input) override {
    const long batch = input.batch();
    kernels::activation_backward(activation_.applied(), output.data(), grad_output.data(),
                                 delta_.data(), batch, units_);
    if (use_bias_) {
      kernels::add_column_sums(delta_.data(), batch, units_, bias_grad_.data);
    }
    // Each task owns a block of inputs: its rows of the kernel gradient and its columns of the
    // input gradient, which reads the same rows of the kernel. (Blocks of all rows of the input
    // gradient ran its GEMM at 45 GFLOP/s in the reference model, blocks of columns at 100.)
    const Blocks inputs = backward_inputs(inputs_);
    const auto blocks = static_cast<std::size_t>(inputs.count);
    float* dx = grad_input != nullptr ? grad_input->data() : nullptr;
    parallel_for(0, blocks, 1, [&](std::size_t first, std::size_t last) {
      for (std::size_t block = first; block < last; ++block) {
        const long k0 = static_cast<long>(block) * inputs.width;
        const long k1 = std::min(inputs_, k0 + inputs.width);
        kernels::gemm(true, false, as_int(k1 - k0), as_int(units_), as_int(batch), 1.0F,
                      input.data() + k0, as_int(inputs_), delta_.data(), as_int(units_), 1.0F,
                      kernel_grad_.data + k0 * units_, as_int(units_));
        if (dx != nullptr) {
          kernels::gemm(false, true, as_int(batch), as_int(k1 - k0), as_int(units_), 1.0F,
                        delta_.data(), as_int(units_), kernel_.data + k0 * units_, as_int(units_),
                        0.0F, dx + k0, as_int(inputs_));
        }
      }
    });
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

  bool emit_logits() override { return activation_.fold_softmax(); }

  // A following Activation layer (relu, sigmoid, tanh, elu, selu, leaky_relu) or LeakyReLU
  // layer is applied in the output pass when this layer's own activation is linear, and taken
  // back through from the output as its own would be: one pass less each way (Dense(...) then
  // Activation('relu')).
  //
  // A following BatchNormalization (and the activation it fuses) is applied in inference to
  // each task's rows after the bias and activation, while they are in cache, with the
  // normalization's own kernel (bitwise its result); training runs it apart. Not after softmax,
  // which needs whole rows.
  Fusion fuse_next(Layer* next) override {
    epilogue_.clear();
    activation_.take_over(nullptr);  // its own
    if (activation_.applied() != kernels::Activation::kSoftmax && epilogue_.take_affine(next)) {
      return Fusion::kInference;
    }
    return activation_.take_over(next) ? Fusion::kAlways : Fusion::kNone;
  }

  // A residual Add (and its ReLU) after this layer, or after the normalization it fuses, is
  // computed in inference in the same pass, bitwise the Add's result (Layer::fuse_sum).
  bool fuse_sum(bool relu) override {
    return epilogue_.take_sum(activation_.applied() != kernels::Activation::kSoftmax, relu);
  }

 private:
  Params params_;  // as declared
  long units_;
  // y = the sum of the blocks' products, in block order; then bias and activation.
  void input_blocks_forward(const Tensor& input, Tensor& output, const Blocks& blocks) {
    const long batch = input.batch();
    const long size = batch * units_;
    parallel_for(
        0, static_cast<std::size_t>(blocks.count), 1, [&](std::size_t first, std::size_t last) {
          for (auto block = static_cast<long>(first); block < static_cast<long>(last); ++block) {
            const long k0 = block * blocks.width;
            const long k1 = std::min(inputs_, k0 + blocks.width);
            float* out = block == 0 ? output.data() : partials_.data() + (block - 1) * size;
            kernels::gemm(false, false, as_int(batch), as_int(units_), as_int(k1 - k0), 1.0F,
                          input.data() + k0, as_int(inputs_), kernel_.data + k0 * units_,
                          as_int(units_), 0.0F, out, as_int(units_));
          }
        });
    float* y = output.data();
    for (long block = 1; block < blocks.count; ++block) {
      const float* part = partials_.data() + (block - 1) * size;
      for (long i = 0; i < size; ++i) {
        y[i] += part[i];
      }
    }
    kernels::add_bias_activate(y, use_bias_ ? bias_.data : nullptr, activation_.applied(), batch,
                               units_);
  }

  // Row tasks through one of dense_small.hpp's kernels (w as that kernel takes it).
  template <typename Kernel>
  void small_forward(const Tensor& input, Tensor& output, const Kernel& kernel, const float* w) {
    parallel_for(0, static_cast<std::size_t>(input.batch()), kRowsPerTask,
                 [&](std::size_t first, std::size_t last) {
                   const auto r0 = static_cast<long>(first);
                   const auto rows = static_cast<long>(last - first);
                   kernel({.rows = rows,
                           .k = inputs_,
                           .n = units_,
                           .x = input.data() + r0 * inputs_,
                           .w = w,
                           .b = use_bias_ ? bias_.data : nullptr,
                           .y = output.data() + r0 * units_},
                          activation_.applied());
                 });
  }

  // The epilogue as a pass of its own (the paths that cannot run it per task).
  void apply_epilogue(const std::optional<kernels::ChannelAffine>& epilogue, Tensor& output) const {
    if (!epilogue) {
      return;
    }
    float* y = output.data();
    parallel_for(0, static_cast<std::size_t>(output.batch()), kRowsPerTask,
                 [&](std::size_t first, std::size_t last) {
                   const auto offset = static_cast<long>(first) * units_;
                   kernels::channel_affine_rows(static_cast<long>(last - first), units_,
                                                epilogue->rows_from(offset), y + offset,
                                                y + offset);
                 });
  }

  TakenActivation activation_;  // its own, or a following activation layer's (fuse_next)
  // The normalization and the residual Add after it, computed in inference (fuse_next, fuse_sum).
  InferenceEpilogue epilogue_;
  bool use_bias_;
  long inputs_ = 0;
  TensorView kernel_, bias_, kernel_grad_, bias_grad_;
  std::vector<float> kernel_transposed_;  // units x inputs, for dense_few_units
  Workspace delta_;
  Workspace partials_;  // the forward's input blocks after the first (input_blocks_forward)
};

}  // namespace
RUNNER_REGISTER_LAYER(Dense);
}  // namespace runner
