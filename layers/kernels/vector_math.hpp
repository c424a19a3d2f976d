#pragma once
// expm1 on blocks of kLanes (16) floats, through glibc's vector math library (libmvec),
// which GCC calls only from code compiled with -ffast-math: vector_math.cpp alone is
// (CMakeLists.txt), so no other code's NaN and rounding rules change. (exp and erf are written
// by hand in vector_exp.hpp: libmvec's erf was slower than PyTorch's whole gelu; tanh in
// vector_tanh.hpp: libmvec's took 2.2 ns a value.) Every value
// goes through the same block function whatever its place, so results do not depend on
// alignment or on how work was split: callers pad a partial last block.
#include "layers/kernels/lanes.hpp"

namespace runner::kernels {

void expm1_block(const float* x, float* y);

}  // namespace runner::kernels
