#pragma once
// Backward fusion between two layers: training-mode BatchNormalization's input gradient is a
// per-element function of its output gradient and its input (kernels::BatchNormInputGradient).
// A convolution before it that reads its own output gradient tile by tile (Winograd) can
// evaluate that function there instead of reading a tensor the normalization wrote: one pass
// over the activations less each way, bitwise the same gradients.
#include "layers/kernels/batch_norm.hpp"

namespace runner {

// Implemented by a layer that can leave its input gradient to the layer before it.
class DeferredInputGradient {
 public:
  // on: from the next backward on, the layer does not write its input gradient (the tensor
  // the model hands it is left as it was) and instead fills the returned description, valid
  // from its backward until its next forward. off (returns null): it writes it again.
  virtual const kernels::BatchNormInputGradient* defer_input_gradient(bool on) = 0;
  // Whether it is deferred now.
  [[nodiscard]] virtual bool defers_input_gradient() const = 0;

 protected:
  ~DeferredInputGradient() = default;
};

}  // namespace runner
