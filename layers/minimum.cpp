// Minimum: Keras' merge layer, min(x0, x1, ...); the gradient goes to the first input holding the
// minimum. Inputs broadcast as in Keras (equal sizes or 1, aligned at the end); see
// elementwise_merge.hpp.
#include "layers/elementwise_merge.hpp"

namespace runner {
namespace {

class Minimum final : public ElementwiseMergeLayer {
 public:
  static constexpr std::string_view kType = "Minimum";

  static const Schema& schema() {
    static const Schema s(std::string(kType), "takes the element-wise minimum of its inputs");
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& /*p*/) { return std::make_unique<Minimum>(); }

  Minimum() : ElementwiseMergeLayer(kType, kernels::ElementwiseMerge::kMinimum) {}
};

}  // namespace
RUNNER_REGISTER_LAYER(Minimum);
}  // namespace runner
