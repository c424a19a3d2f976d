#pragma once
// exp and erf on a Vec of kLanes floats, written with GCC's vector extensions (no library
// call), for the activations that need them at memory speed (gelu, sigmoid, swish). Every lane
// is computed the same way, so results do not depend on where a value sits in its block.
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

// e^x with about 1 ulp of error (Cody-Waite reduction to r in [-ln2/2, ln2/2], a degree-6
// polynomial, scaling by 2^n); 0 below -87.3, inf above 88.7, NaN stays NaN.
Vec exp_vec(Vec x);
// erf(x) with an absolute error below 1.5e-7 (Abramowitz and Stegun 7.1.26, the form oneDNN's
// gelu_erf uses): enough for gelu, where it is always added to 1.
// gaussian, when not null, receives exp(-x^2), which the formula computes anyway.
Vec erf_vec(Vec x, Vec* gaussian = nullptr);

}  // namespace runner::kernels
