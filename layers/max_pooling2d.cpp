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

  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec) {
    MapReader p = spec.params();
    const Pair pool = read_pair(p, "pool_size", {2, 2});
    const Pair strides = read_pair(p, "strides", pool);
    const Padding padding = read_padding(p);
    p.reject_unknown();
    return std::make_unique<MaxPooling2D>(pool, strides, padding);
  }

  MaxPooling2D(Pair pool, Pair strides, Padding padding)
      : pool_(pool), strides_(strides), padding_(padding) {}

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

  [[nodiscard]] YAML::Node config() const override {
    YAML::Node node;
    node["type"] = std::string(kType);
    node["pool_size"] = pair_node(pool_);
    node["strides"] = pair_node(strides_);
    node["padding"] = padding_name(padding_);
    return node;
  }

 private:
  [[nodiscard]] kernels::Pool2DGeometry make_geometry(const Shape& input) const {
    require_image_input(input);
    const AxisPlan rows = plan_axis(input[0], pool_[0], strides_[0], padding_);
    const AxisPlan cols = plan_axis(input[1], pool_[1], strides_[1], padding_);
    if (rows.out <= 0 || cols.out <= 0) {
      throw ShapeError(fmt::format("pool {}x{} does not fit input {} with padding 'valid'",
                                   pool_[0], pool_[1], input.str()));
    }
    return {input[0], input[1],    input[2],    rows.out,        cols.out,       pool_[0],
            pool_[1], strides_[0], strides_[1], rows.pad_before, cols.pad_before};
  }

  Pair pool_, strides_;
  Padding padding_;
  kernels::Pool2DGeometry geometry_{};
  std::vector<std::int32_t> argmax_;
  bool have_argmax_ = false;
};

}  // namespace
RUNNER_REGISTER_LAYER(MaxPooling2D);
}  // namespace runner
