// Activation: Keras' Activation layer, y = f(x) element-wise (softmax over the last axis).
#include <stdexcept>

#include "framework/nn/layer_registry.hpp"
#include "layers/kernels/activations.hpp"
#include "layers/kernels/pointwise.hpp"

namespace runner {
namespace {

std::vector<std::string> activation_choices() {
  std::vector<std::string> names = kernels::pointwise_names();
  names.emplace_back("softmax");
  return names;
}

class Activation final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "Activation";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "applies an activation function to each value")
            .choice("activation",
                    "the function (gelu is exact, as Keras' approximate=False; leaky_relu has "
                    "slope 0.2, as tf.nn.leaky_relu)",
                    activation_choices(), "linear")
            .required();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) { return std::make_unique<Activation>(p); }

  explicit Activation(const Params& p)
      : params_(p), activation_(p.text("activation")), softmax_(activation_ == "softmax") {
    op_.fn = kernels::parse_pointwise(p.text("activation")).value_or(kernels::Pointwise::kLinear);
  }

  [[nodiscard]] std::string_view type() const override { return kType; }
  [[nodiscard]] Shape output_shape(const Shape& input) const override { return input; }
  void prepare(const Shape& /*input*/, std::int64_t /*max_batch*/) override {}

  void forward(const Tensor& input, Tensor& output, const Pass& /*pass*/) override {
    if (softmax_ && !logits_) {
      std::copy(input.data(), input.data() + input.size(), output.data());
      const long cols = input.shape().dims().back();
      kernels::activate(kernels::Activation::kSoftmax, output.data(),
                        static_cast<long>(input.size()) / cols, cols);
      return;
    }
    kernels::pointwise_forward(op_, input.data(), output.data(), input.size());
  }

  void backward(const Tensor& input, const Tensor& output, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input == nullptr) {
      return;
    }
    if (softmax_ && !logits_) {
      const long cols = input.shape().dims().back();
      kernels::activation_backward(kernels::Activation::kSoftmax, output.data(), grad_output.data(),
                                   grad_input->data(), static_cast<long>(input.size()) / cols,
                                   cols);
      return;
    }
    kernels::pointwise_backward(op_, input.data(), output.data(), grad_output.data(),
                                grad_input->data(), input.size());
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

  [[nodiscard]] ElementwiseFunction elementwise_activation() const override {
    return {.name = softmax_ ? std::string_view() : std::string_view(activation_),
            .alpha = op_.alpha};
  }

  // A final softmax becomes the identity; the loss applies it (numerically stable).
  bool emit_logits() override {
    logits_ = softmax_;
    return softmax_;
  }

 private:
  Params params_;
  std::string activation_;
  kernels::PointwiseOp op_;
  bool softmax_;
  bool logits_ = false;  // softmax left to the loss (op_ is then linear)
};

}  // namespace
RUNNER_REGISTER_LAYER(Activation);
}  // namespace runner
