#pragma once
// What Keras' geometric augmentation layers (RandomTranslation, RandomRotation, RandomZoom)
// share: the fill and interpolation arguments, and "resample each image through a random
// affine map in training, pass it unchanged in inference". A layer supplies the map; its random
// draws are a pure function of (seed, step, sample in the global batch), so runs are bitwise
// reproducible on any thread count, on resume and in data-parallel shards.
#include <cstdint>
#include <vector>

#include "framework/core/schema.hpp"
#include "framework/nn/layer.hpp"
#include "layers/kernels/image_transform.hpp"

namespace runner {

// Uniform draws for one sample: draw k is independent of the others.
class SampleDraws {
 public:
  explicit SampleDraws(std::uint64_t key) : key_(key) {}
  float uniform(double lo, double hi, std::uint64_t k) const;

 private:
  std::uint64_t key_;
};

class RandomTransform : public StatelessLayer {
 public:
  // fill_mode, interpolation, seed and fill_value, as Keras declares them.
  static Schema& declare_fill(Schema& schema);

  [[nodiscard]] Shape output_shape(const Shape& input) const override;
  void prepare(const Shape& input, std::int64_t max_batch) override;
  // Transforms only in training.
  [[nodiscard]] bool passes_input_on(Mode mode) const override { return mode == Mode::kEval; }
  void forward(const Tensor& input, Tensor& output, const Pass& pass) override;
  void backward(const Tensor& input, const Tensor& output, const Tensor& grad_output,
                Tensor* grad_input) override;
  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 protected:
  explicit RandomTransform(const Params& p);
  // The map of one image of `height` x `width` pixels.
  [[nodiscard]] virtual kernels::AffineMap draw(const SampleDraws& draws, long height,
                                                long width) const = 0;

 private:
  Params params_;
  std::uint64_t seed_;
  kernels::ImageTransformGeometry geometry_{};
  bool transformed_ = false;  // the last forward was a training one
  std::vector<kernels::AffineMap> maps_;
};

}  // namespace runner
