// Multiply: Keras' merge layer, x0 * x1 * ... in input order. Inputs broadcast as in Keras (equal
// sizes or 1, aligned at the end); see elementwise_merge.hpp.
#include "layers/elementwise_merge.hpp"

namespace runner {
namespace {

class Multiply final : public ElementwiseMergeLayer {
 public:
  static constexpr std::string_view kType = "Multiply";

  static const Schema& schema() {
    static const Schema s(
        std::string(kType),
        "multiplies its inputs element by element (gating, squeeze-and-excitation)");
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& /*p*/) { return std::make_unique<Multiply>(); }

  Multiply() : ElementwiseMergeLayer(kType, kernels::ElementwiseMerge::kMultiply) {}
};

}  // namespace
RUNNER_REGISTER_LAYER(Multiply);
}  // namespace runner
