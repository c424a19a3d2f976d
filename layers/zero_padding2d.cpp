// ZeroPadding2D: Keras' layer; adds rows and columns of zeros around each image.
#include "framework/core/parallel.hpp"
#include "framework/nn/layer_registry.hpp"
#include "layers/layer_params.hpp"

namespace runner {
namespace {

constexpr std::size_t kSamplesPerTask = 4;

class ZeroPadding2D final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "ZeroPadding2D";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "adds rows and columns of zeros around each image")
            .padding("padding", "zeros added: all sides, [rows, columns] or per side", 1);
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    return std::make_unique<ZeroPadding2D>(p);
  }

  explicit ZeroPadding2D(const Params& p) : params_(p), sides_(p.padding("padding")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    require_image_input(input);
    return Shape{input[0] + sides_[0] + sides_[1], input[1] + sides_[2] + sides_[3], input[2]};
  }

  void prepare(const Shape& input, std::int64_t /*max_batch*/) override { in_ = input; }

  void forward(const Tensor& input, Tensor& output, const Pass& /*pass*/) override {
    copy_rows(input.batch(), input.data(), output.data(), /*into_padded=*/true);
  }

  void backward(const Tensor& input, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input != nullptr) {
      copy_rows(input.batch(), grad_output.data(), grad_input->data(), /*into_padded=*/false);
    }
  }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 private:
  // Copies each image row between the input and its place in the padded output; forward also
  // zeroes the border.
  void copy_rows(long batch, const float* from, float* to, bool into_padded) const {
    const long h = in_[0];
    const long w = in_[1];
    const long c = in_[2];
    const long out_w = w + sides_[2] + sides_[3];
    const long out_size = (h + sides_[0] + sides_[1]) * out_w * c;
    const long in_row = w * c;
    parallel_for(0, static_cast<std::size_t>(batch), kSamplesPerTask,
                 [&](std::size_t first, std::size_t last) {
                   for (auto n = static_cast<long>(first); n < static_cast<long>(last); ++n) {
                     if (into_padded) {
                       std::fill(to + n * out_size, to + (n + 1) * out_size, 0.0F);
                     }
                     for (long y = 0; y < h; ++y) {
                       const long inner = n * h * in_row + y * in_row;
                       const long outer = n * out_size + ((y + sides_[0]) * out_w + sides_[2]) * c;
                       if (into_padded) {
                         std::copy(from + inner, from + inner + in_row, to + outer);
                       } else {
                         std::copy(from + outer, from + outer + in_row, to + inner);
                       }
                     }
                   }
                 });
  }

  Params params_;
  std::array<long, 4> sides_;  // top, bottom, left, right
  Shape in_;
};

}  // namespace
RUNNER_REGISTER_LAYER(ZeroPadding2D);
}  // namespace runner
