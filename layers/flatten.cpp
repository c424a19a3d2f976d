// Flatten: (h, w, c) -> (h*w*c), channels last, as Keras flattens NHWC tensors.
#include <algorithm>

#include "framework/core/errors.hpp"
#include "framework/nn/layer_registry.hpp"

namespace runner {
namespace {

class Flatten final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "Flatten";

  static const Schema& schema() {
    static const Schema s(std::string(kType), "flattens each sample into one dimension");
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& /*p*/) { return std::make_unique<Flatten>(); }

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    if (input.rank() == 0) {
      throw ShapeError("expects input with at least one dimension, got []");
    }
    return Shape{input.elements()};
  }

  void prepare(const Shape& /*input*/, std::int64_t /*max_batch*/) override {}

  [[nodiscard]] bool passes_input_on(Mode /*mode*/) const override { return true; }

  void forward(const Tensor& input, Tensor& output, const Pass& /*pass*/) override {
    std::copy(input.data(), input.data() + input.size(), output.data());
  }

  void backward(const Tensor& /*input*/, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input != nullptr) {
      std::copy(grad_output.data(), grad_output.data() + grad_output.size(), grad_input->data());
    }
  }

  [[nodiscard]] YAML::Node config() const override {
    YAML::Node node;
    node["type"] = std::string(kType);
    return node;
  }
};

}  // namespace
RUNNER_REGISTER_LAYER(Flatten);
}  // namespace runner
