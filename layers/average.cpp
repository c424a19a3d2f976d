// Average: Keras' merge layer, (x0 + x1 + ...) / n, the sum in input order. Inputs broadcast as in
// Keras (equal sizes or 1, aligned at the end); see elementwise_merge.hpp.
#include "layers/elementwise_merge.hpp"

namespace runner {
namespace {

class Average final : public ElementwiseMergeLayer {
 public:
  static constexpr std::string_view kType = "Average";

  static const Schema& schema() {
    static const Schema s(std::string(kType), "averages its inputs element by element");
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& /*p*/) { return std::make_unique<Average>(); }

  Average() : ElementwiseMergeLayer(kType, kernels::ElementwiseMerge::kAverage) {}
};

}  // namespace
RUNNER_REGISTER_LAYER(Average);
}  // namespace runner
