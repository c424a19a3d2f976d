// LeakyReLU: Keras' layer, y = x for x > 0, alpha * x otherwise.
#include "framework/nn/layer_registry.hpp"
#include "layers/kernels/pointwise.hpp"

namespace runner {
namespace {

class LeakyReLU final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "LeakyReLU";

  static const Schema& schema() {
    static const Schema s = Schema(std::string(kType), "ReLU with a small slope below zero")
                                .real("alpha", "slope for negative inputs", 0.3)
                                .at_least(0);
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) { return std::make_unique<LeakyReLU>(p); }

  explicit LeakyReLU(const Params& p)
      : params_(p),
        op_{.fn = kernels::Pointwise::kLeakyRelu, .alpha = static_cast<float>(p.real("alpha"))} {}

  [[nodiscard]] std::string_view type() const override { return kType; }
  [[nodiscard]] Shape output_shape(const Shape& input) const override { return input; }
  void prepare(const Shape& /*input*/, std::int64_t /*max_batch*/) override {}

  void forward(const Tensor& input, Tensor& output, const Pass& /*pass*/) override {
    kernels::pointwise_forward(op_, input.data(), output.data(), input.size());
  }

  void backward(const Tensor& input, const Tensor& output, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input != nullptr) {
      kernels::pointwise_backward(op_, input.data(), output.data(), grad_output.data(),
                                  grad_input->data(), input.size());
    }
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

  [[nodiscard]] ElementwiseFunction elementwise_activation() const override {
    return {.name = "leaky_relu", .alpha = op_.alpha};
  }

 private:
  Params params_;
  kernels::PointwiseOp op_;
};

}  // namespace
RUNNER_REGISTER_LAYER(LeakyReLU);
}  // namespace runner
