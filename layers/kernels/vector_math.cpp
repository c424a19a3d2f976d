#include "layers/kernels/vector_math.hpp"

#include <math.h>  // NOLINT(modernize-deprecated-headers): glibc declares the vector variants here

namespace runner::kernels {

// Each loop is one call of libmvec's 16-lane (AVX-512), 8-lane or 4-lane variant.
void expm1_block(const float* __restrict x, float* __restrict y) {
  for (int i = 0; i < kLanes; ++i) {
    y[i] = expm1f(x[i]);
  }
}

}  // namespace runner::kernels
