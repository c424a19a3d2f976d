// MaxPooling2D: Keras' max pooling (pool_size, strides defaulting to pool_size, padding).
#include <fmt/format.h>

#include <stdexcept>

#include "framework/core/errors.hpp"
#include "framework/nn/layer_registry.hpp"
#include "layers/kernels/pool2d.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

class MaxPooling2D final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "MaxPooling2D";

  static const Schema& schema() {
    static const Schema s = [] {
      Schema out(std::string(kType), "maximum over each window");
      return declare_pooling(out);
    }();
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    return std::make_unique<MaxPooling2D>(p);
  }

  explicit MaxPooling2D(const Params& p)
      : pooling_(pooling_of(p)), config_(pooling_config(p, pooling_)) {}

  [[nodiscard]] std::optional<PoolingWindow> pooling_window() const override {
    return pooling_window_of(pooling_, PoolingWindow::Kind::kMax);
  }

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    const auto g = make_geometry(input);
    return Shape{g.out_h, g.out_w, g.channels};
  }

  void prepare(const Shape& input, std::int64_t max_batch) override {
    geometry_ = make_geometry(input);
    argmax_.resize(static_cast<std::size_t>(max_batch * geometry_.out_size()));
  }

  void forward(const Tensor& input, Tensor& output, const Pass& pass) override {
    // Inference keeps no winners: no backward follows it.
    have_argmax_ = pass.mode == Mode::kTrain;
    kernels::max_pool2d_forward(geometry_, input.batch(), input.data(), output.data(),
                                have_argmax_ ? argmax_.data() : nullptr);
  }

  void backward(const Tensor& input, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (!have_argmax_) {
      throw std::logic_error("MaxPooling2D: backward after an inference-mode forward");
    }
    if (grad_input != nullptr) {
      kernels::max_pool2d_backward(geometry_, input.batch(), grad_output.data(), argmax_.data(),
                                   grad_input->data());
    }
  }

  [[nodiscard]] YAML::Node config() const override { return YAML::Clone(config_); }

 private:
  [[nodiscard]] kernels::Pool2DGeometry make_geometry(const Shape& input) const {
    return pool_geometry(input, pooling_);
  }

  PoolingParams pooling_;
  YAML::Node config_;  // resolved, strides filled in as Keras writes them
  kernels::Pool2DGeometry geometry_{};
  std::vector<std::int32_t> argmax_;
  bool have_argmax_ = false;
};

}  // namespace
RUNNER_REGISTER_LAYER(MaxPooling2D);
}  // namespace runner
