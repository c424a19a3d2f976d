// AveragePooling2D: Keras' average pooling (pool_size, strides defaulting to pool_size,
// padding; 'same' windows average only their valid taps, as TensorFlow does).
#include "framework/nn/layer_registry.hpp"
#include "layers/kernels/pool2d.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

class AveragePooling2D final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "AveragePooling2D";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "mean over each window");
      return declare_pooling(out);
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    return std::make_unique<AveragePooling2D>(p);
  }

  explicit AveragePooling2D(const Params& p)
      : pooling_(pooling_of(p)), config_(pooling_config(p, pooling_)) {}

  [[nodiscard]] std::optional<PoolingWindow> pooling_window() const override {
    return pooling_window_of(pooling_, PoolingWindow::Kind::kAverage);
  }

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    const auto g = pool_geometry(input, pooling_);
    return Shape{g.out_h, g.out_w, g.channels};
  }

  void prepare(const Shape& input, std::int64_t /*max_batch*/) override {
    geometry_ = pool_geometry(input, pooling_);
  }

  void forward(const Tensor& input, Tensor& output, const Pass& /*pass*/) override {
    kernels::avg_pool2d_forward(geometry_, input.batch(), input.data(), output.data());
  }

  void backward(const Tensor& input, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input != nullptr) {
      kernels::avg_pool2d_backward(geometry_, input.batch(), grad_output.data(),
                                   grad_input->data());
    }
  }

  [[nodiscard]] YAML::Node config() const override { return YAML::Clone(config_); }

 private:
  PoolingParams pooling_;
  YAML::Node config_;  // resolved, strides filled in as Keras writes them
  kernels::Pool2DGeometry geometry_{};
};

}  // namespace
RUNNER_REGISTER_LAYER(AveragePooling2D);
}  // namespace runner
