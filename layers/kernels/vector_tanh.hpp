#pragma once
// tanh on a Vec of kLanes floats as a rational function (no library call): libmvec's tanhf
// took 2.2 ns a value, most of a LeNet-style convolution's time.
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

// tanh(x) within 6 ulp (tests/reference/tanh_rational.py derives the coefficients and
// measures the error); |result| <= 1, a tiny x comes back unchanged, NaN stays NaN.
Vec tanh_vec(Vec x);

}  // namespace runner::kernels
