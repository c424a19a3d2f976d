#pragma once
// Element-wise activations on rows of a matrix (rows x channels), in place.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runner::kernels {

enum class ActivationFn { kLinear, kRelu, kSigmoid, kTanh, kElu, kSelu, kLeakyRelu, kSoftmax };

// A layer's activation: the function, and the slope below zero of leaky_relu (which a layer
// gets only by taking over a following LeakyReLU layer: Keras' layers do not name it).
struct Activation {
  // The functions by the names they had as an enum (not `using enum`: GCC 12 fails on it in
  // generic lambdas).
  static constexpr ActivationFn kLinear = ActivationFn::kLinear;
  static constexpr ActivationFn kRelu = ActivationFn::kRelu;
  static constexpr ActivationFn kSigmoid = ActivationFn::kSigmoid;
  static constexpr ActivationFn kTanh = ActivationFn::kTanh;
  static constexpr ActivationFn kElu = ActivationFn::kElu;
  static constexpr ActivationFn kSelu = ActivationFn::kSelu;
  static constexpr ActivationFn kLeakyRelu = ActivationFn::kLeakyRelu;
  static constexpr ActivationFn kSoftmax = ActivationFn::kSoftmax;

  ActivationFn fn = kLinear;
  float alpha = 0.2F;

  constexpr Activation() = default;
  constexpr Activation(ActivationFn f, float slope = 0.2F) : fn(f), alpha(slope) {}  // NOLINT
  friend constexpr bool operator==(Activation a, ActivationFn f) { return a.fn == f; }
};

std::optional<Activation> parse_activation(std::string_view name);
// The activations the convolution kernels apply inside their own loops (max(v, 0) or nothing):
// the others run as a separate pass, and a fused pooling may follow only these.
inline bool linear_or_relu(Activation a) {
  return a == Activation::kLinear || a == Activation::kRelu;
}
std::string_view activation_name(Activation a);
const std::vector<std::string>& activation_names();

// y = f(y) for `rows` rows of `cols` values (softmax is per row).
void activate(Activation a, float* y, long rows, long cols);
// grad = grad * f'(x) expressed through y = f(x), in place over `rows` x `cols`.
void activation_backward(Activation a, const float* y, float* grad, long rows, long cols);
// delta = dy * f'(x) over `rows` x `cols`, in one pass for the element-wise activations.
void activation_backward(Activation a, const float* y, const float* dy, float* delta, long rows,
                         long cols);

}  // namespace runner::kernels
