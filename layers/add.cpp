// Add: Keras' merge layer, x0 + x1 + ... in input order. Inputs broadcast as in Keras (equal sizes
// or 1, aligned at the end); see elementwise_merge.hpp.
#include "layers/elementwise_merge.hpp"

namespace runner {
namespace {

class Add final : public ElementwiseMergeLayer {
 public:
  static constexpr std::string_view kType = "Add";

  static const Schema& schema() {
    static const Schema s(std::string(kType),
                          "adds its inputs element by element (a residual connection)");
    return s;
  }

  static std::unique_ptr<Layer> create(const Params& /*p*/) { return std::make_unique<Add>(); }

  Add() : ElementwiseMergeLayer(kType, kernels::ElementwiseMerge::kAdd) {}
};

}  // namespace
RUNNER_REGISTER_LAYER(Add);
}  // namespace runner
