#pragma once
// A register of channels' coefficients of BatchNormInputGradient, as the kernels that evaluate
// it load them (Winograd's output-gradient transform, batch_norm_input_gradient_rows).
#include "layers/kernels/batch_norm.hpp"
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

// Channels [c0, c0 + lanes); the ReLU's scale and shift only when kRelu.
template <bool kFull, bool kRelu>
inline BatchNormGradientLanes<Vec> load_gradient_lanes(const BatchNormInputGradient& norm, long c0,
                                                       int lanes) {
  BatchNormGradientLanes<Vec> k{};
  if constexpr (kRelu) {
    k.relu_scale = load_block<kFull>(norm.relu_scale + c0, lanes);
    k.relu_shift = load_block<kFull>(norm.relu_shift + c0, lanes);
  }
  k.mean = load_block<kFull>(norm.mean + c0, lanes);
  k.inv_std = load_block<kFull>(norm.inv_std + c0, lanes);
  k.mean_dy = load_block<kFull>(norm.mean_dy + c0, lanes);
  k.mean_dy_xhat = load_block<kFull>(norm.mean_dy_xhat + c0, lanes);
  k.factor = load_block<kFull>(norm.factor + c0, lanes);
  return k;
}

}  // namespace runner::kernels
