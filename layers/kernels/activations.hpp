#pragma once
// Element-wise activations on rows of a matrix (rows x channels), in place.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace runner::kernels {

enum class Activation { kLinear, kRelu, kSigmoid, kTanh, kElu, kSelu, kSoftmax };

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
