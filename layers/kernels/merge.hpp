#pragma once
// Keras' merge layers: element-wise combinations of several tensors with broadcasting (a size-1
// dimension, or one a lower-rank input lacks at the front, repeats along the output's), and
// concatenation along one axis. Work is cut in fixed chunks, so results do not depend on the
// thread count.
#include <cstdint>
#include <span>
#include <vector>

namespace runner::kernels {

// The most inputs one merge takes (Keras has no limit; a stack array here).
constexpr std::size_t kMaxMergeInputs = 64;

enum class ElementwiseMerge { kAdd, kSubtract, kMultiply, kAverage, kMaximum, kMinimum };

// One input: its values and its dimensions (batch included) right-aligned to the output's.
struct MergeInput {
  const float* data = nullptr;
  std::vector<std::int64_t> dims;
};

struct ElementwiseMergeArgs {
  ElementwiseMerge op = ElementwiseMerge::kAdd;
  std::span<const MergeInput> inputs;
  std::vector<std::int64_t> output_dims;  // batch included
  // A following ReLU computed in the same pass (a residual block's Add, then ReLU): forward
  // writes max(0, merged) as the ReLU kernel does (+0 for -0 and NaN), backward takes the
  // gradient through it first.
  bool relu = false;
};

// out = x0 op x1 op ... in input order (Average: the sum divided by the input count), then the
// ReLU when args.relu.
void merge_forward(const ElementwiseMergeArgs& args, float* out);
// dL/d(input k), summed over the positions it was repeated to. Maximum and Minimum send the
// gradient to the first input that holds the extreme value (TensorFlow's chained rule). With
// args.relu, `out` is forward's output and grad_out the ReLU's output gradient, taken through
// the ReLU as it computes it (grad_out * (out > 0 ? 1 : 0)); otherwise `out` is not read.
void merge_backward(const ElementwiseMergeArgs& args, const float* out, const float* grad_out,
                    std::size_t k, float* grad_in);

// Whether merge_backward gives input k the output gradient as it is (through the fused ReLU
// when args.relu): Add's inputs and Subtract's first, when not repeated (broadcast).
bool passes_gradient_through(const ElementwiseMergeArgs& args, std::size_t k);
// merge_backward for the inputs that passes_gradient_through, in one pass: each value computed
// once and written to every one of grad_ins (a residual block's Add reads its output and
// gradient once instead of once per input). merge_backward calls it for one such input.
void merge_backward_shared(const ElementwiseMergeArgs& args, const float* out,
                           const float* grad_out, std::span<float* const> grad_ins);

// Concatenation along one axis: each input is `outer` blocks of widths[k] floats; the output's
// blocks are theirs side by side.
struct ConcatArgs {
  std::int64_t outer = 0;
  std::vector<std::int64_t> widths;
};
void concat_forward(const ConcatArgs& args, std::span<const float* const> inputs, float* out);
// Writes input k's part of grad_out into grad_in (null: skipped).
void concat_backward(const ConcatArgs& args, const float* grad_out,
                     std::span<float* const> grad_inputs);

}  // namespace runner::kernels
