// Maximum: Keras' merge layer, max(x0, x1, ...); the gradient goes to the first input holding the
// maximum. Inputs broadcast as in Keras (equal sizes or 1, aligned at the end); see
// elementwise_merge.hpp.
#include "layers/elementwise_merge.hpp"

namespace runner {
namespace {

class Maximum final : public ElementwiseMergeLayer {
 public:
  static constexpr std::string_view kType = "Maximum";

  static const Schema& schema() {
    static const Schema s(std::string(kType), "takes the element-wise maximum of its inputs");
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& /*p*/) { return std::make_unique<Maximum>(); }

  Maximum() : ElementwiseMergeLayer(kType, kernels::ElementwiseMerge::kMaximum) {}
};

}  // namespace
RUNNER_REGISTER_LAYER(Maximum);
}  // namespace runner
