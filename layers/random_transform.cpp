#include "layers/random_transform.hpp"

#include <algorithm>

#include "framework/core/rng.hpp"
#include "layers/layer_params.hpp"

namespace runner {

float SampleDraws::uniform(double lo, double hi, std::uint64_t k) const {
  const double u = unit_float(mix64(key_ ^ mix64(k + 1)));
  return static_cast<float>(lo + u * (hi - lo));
}

Schema& RandomTransform::declare_fill(Schema& schema) {
  schema.choice("fill_mode", "how points outside the image are filled",
                {"reflect", "wrap", "constant", "nearest"}, "reflect");
  schema.choice("interpolation", "how the input is read between pixels", {"bilinear", "nearest"},
                "bilinear");
  schema.seed("seed", "transform seed (default: derived from the experiment seed)").keras("");
  return schema.real("fill_value", "the value outside the image with fill_mode constant", 0.0);
}

RandomTransform::RandomTransform(const Params& p)
    : params_(p), seed_(static_cast<std::uint64_t>(p.integer("seed"))) {
  const std::string fill = p.text("fill_mode");
  geometry_.fill = fill == "wrap"       ? kernels::FillMode::kWrap
                   : fill == "constant" ? kernels::FillMode::kConstant
                   : fill == "nearest"  ? kernels::FillMode::kNearest
                                        : kernels::FillMode::kReflect;
  geometry_.interpolation = p.text("interpolation") == "nearest"
                                ? kernels::Interpolation::kNearest
                                : kernels::Interpolation::kBilinear;
  geometry_.fill_value = static_cast<float>(p.real("fill_value"));
}

Shape RandomTransform::output_shape(const Shape& input) const {
  require_image_input(input);
  return input;
}

void RandomTransform::prepare(const Shape& input, std::int64_t max_batch) {
  geometry_.height = input[0];
  geometry_.width = input[1];
  geometry_.channels = input[2];
  maps_.resize(static_cast<std::size_t>(max_batch));
}

void RandomTransform::forward(const Tensor& input, Tensor& output, const Pass& pass) {
  transformed_ = pass.mode == Mode::kTrain;
  if (!transformed_) {
    std::copy(input.data(), input.data() + input.size(), output.data());
    return;
  }
  const std::uint64_t key = derive_seed(seed_, pass.step);
  for (long n = 0; n < input.batch(); ++n) {
    const SampleDraws draws(mix64(key + pass.sample_offset + static_cast<std::uint64_t>(n)));
    maps_[static_cast<std::size_t>(n)] = draw(draws, geometry_.height, geometry_.width);
  }
  kernels::transform_images(geometry_, input.batch(), maps_.data(), input.data(), output.data());
}

void RandomTransform::backward(const Tensor& /*input*/, const Tensor& /*output*/,
                               const Tensor& grad_output, Tensor* grad_input) {
  if (grad_input == nullptr) {
    return;
  }
  if (!transformed_) {
    std::copy(grad_output.data(), grad_output.data() + grad_output.size(), grad_input->data());
    return;
  }
  kernels::transform_images_backward(geometry_, grad_output.batch(), maps_.data(),
                                     grad_output.data(), grad_input->data());
}

}  // namespace runner
