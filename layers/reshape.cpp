// Reshape: Keras' layer; the values keep their order, only the shape changes (one size may
// be -1: inferred).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "framework/core/errors.hpp"
#include "framework/nn/layer_registry.hpp"

namespace runner {
namespace {

class Reshape final : public StatelessLayer {
 public:
  static constexpr std::string_view kType = "Reshape";

  static const Schema& schema() {
    static const Schema s =
        Schema(std::string(kType), "gives each sample a new shape with the same number of values")
            .integers("target_shape", "the new shape without the batch; one size may be -1")
            .required()
            .at_least(-1);
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& p) {
    const auto target = p.integers("target_shape");
    if (target.size() > 3) {
      p.error("target_shape", fmt::format("expected at most 3 sizes, got {}", target.size()));
      return nullptr;
    }
    if (std::count(target.begin(), target.end(), -1) > 1 ||
        std::count(target.begin(), target.end(), 0) > 0) {
      p.error("target_shape", fmt::format("expected positive sizes and at most one -1, got [{}]",
                                          fmt::join(target, ", ")));
      return nullptr;
    }
    return std::make_unique<Reshape>(p);
  }

  explicit Reshape(const Params& p) : params_(p), target_(p.integers("target_shape")) {}

  [[nodiscard]] std::string_view type() const override { return kType; }

  [[nodiscard]] Shape output_shape(const Shape& input) const override {
    std::vector<std::int64_t> dims = target_;
    std::int64_t known = 1;
    for (auto d : dims) {
      known *= d == -1 ? 1 : d;
    }
    const std::int64_t total = input.elements();
    for (auto& d : dims) {
      if (d == -1 && known > 0 && total % known == 0) {
        d = total / known;
        known *= d;
      }
    }
    if (known != total) {
      throw ShapeError(fmt::format("cannot reshape {} ({} values) into [{}]", input.str(), total,
                                   fmt::join(target_, ", ")));
    }
    return Shape(dims);
  }

  void prepare(const Shape& /*input*/, std::int64_t /*max_batch*/) override {}

  void forward(const Tensor& input, Tensor& output, const Pass& /*pass*/) override {
    std::copy(input.data(), input.data() + input.size(), output.data());
  }

  void backward(const Tensor& /*input*/, const Tensor& /*output*/, const Tensor& grad_output,
                Tensor* grad_input) override {
    if (grad_input != nullptr) {
      std::copy(grad_output.data(), grad_output.data() + grad_output.size(), grad_input->data());
    }
  }

  [[nodiscard]] bool passes_input_on(Mode /*mode*/) const override { return true; }

  [[nodiscard]] YAML::Node config() const override { return params_.resolved(); }

 private:
  Params params_;
  std::vector<std::int64_t> target_;
};

}  // namespace
RUNNER_REGISTER_LAYER(Reshape);
}  // namespace runner
