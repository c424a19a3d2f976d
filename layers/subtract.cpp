// Subtract: Keras' merge layer, x0 - x1; exactly two inputs. Inputs broadcast as in Keras (equal
// sizes or 1, aligned at the end); see elementwise_merge.hpp.
#include "layers/elementwise_merge.hpp"

namespace runner {
namespace {

class Subtract final : public ElementwiseMergeLayer {
 public:
  static constexpr std::string_view kType = "Subtract";

  static const Schema& schema() {
    static const Schema s(std::string(kType), "subtracts its second input from its first");
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& /*p*/) { return std::make_unique<Subtract>(); }

  Subtract() : ElementwiseMergeLayer(kType, kernels::ElementwiseMerge::kSubtract, 2) {}
};

}  // namespace
RUNNER_REGISTER_LAYER(Subtract);
}  // namespace runner
