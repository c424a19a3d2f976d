#pragma once
// Element-wise activations that need the input x for their derivative (gelu, swish), with the
// rest of Keras' list, for the Activation and LeakyReLU layers. Work is cut in fixed chunks.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runner::kernels {

enum class Pointwise { kLinear, kRelu, kSigmoid, kTanh, kElu, kSelu, kGelu, kSwish, kLeakyRelu };

struct PointwiseOp {
  Pointwise fn = Pointwise::kLinear;
  float alpha = 0.2F;  // kLeakyRelu: the slope below zero
};

std::optional<Pointwise> parse_pointwise(std::string_view name);
const std::vector<std::string>& pointwise_names();

// y = f(x) over n values (y may be x).
void pointwise_forward(PointwiseOp op, const float* x, float* y, std::size_t n);
// The same on the calling thread, for kernels that apply an activation inside their own tasks
// (activations.hpp's activate): each value gets the same bits as from pointwise_forward.
void pointwise_forward_here(PointwiseOp op, const float* x, float* y, std::size_t n);
// dx = dy * f'(x) over n values (y = f(x) as forward wrote it).
void pointwise_backward(PointwiseOp op, const float* x, const float* y, const float* dy, float* dx,
                        std::size_t n);
// The same on the calling thread.
void pointwise_backward_here(PointwiseOp op, const float* x, const float* y, const float* dy,
                             float* dx, std::size_t n);
// The same on the calling thread from y alone, for the functions whose derivative y gives
// (relu, sigmoid, tanh, elu, selu, leaky_relu, linear: their x > 0 exactly where y > 0), as
// layers with such an `activation` compute it without keeping x: the bits of
// pointwise_backward. dx may be dy. Throws std::logic_error for gelu and swish.
void pointwise_backward_from_output_here(PointwiseOp op, const float* y, const float* dy, float* dx,
                                         std::size_t n);

}  // namespace runner::kernels
