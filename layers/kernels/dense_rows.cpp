#include "layers/kernels/dense_rows.hpp"

#include <algorithm>

#include "framework/core/parallel.hpp"
#include "layers/kernels/bias.hpp"
#include "layers/kernels/dense_small.hpp"
#include "layers/kernels/gemm.hpp"

namespace runner::kernels {
namespace {

// 512 rows (pixels) per block: large enough that each GEMM runs near full speed, small enough
// to give two threads work on one 28x28 image.
constexpr long kRowsPerBlock = 512;

std::size_t block_count(long rows) {
  return chunk_count(static_cast<std::size_t>(rows), kRowsPerBlock);
}

}  // namespace

void dense_rows_forward(const DenseRowsGeometry& g, Activation act, const DenseRowsForward& t) {
  const bool few_inputs = dense_few_inputs_apply(g.in, g.out);
  parallel_for(0, block_count(g.rows), 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t block = first; block < last; ++block) {
      const long r0 = static_cast<long>(block) * kRowsPerBlock;
      const long rows = std::min(g.rows - r0, kRowsPerBlock);
      float* y = t.y + r0 * g.out;
      if (few_inputs) {
        dense_few_inputs({rows, g.in, g.out, t.x + r0 * g.in, t.w, t.b, y}, act);
        continue;
      }
      gemm(false, false, as_int(rows), as_int(g.out), as_int(g.in), 1.0F, t.x + r0 * g.in,
           as_int(g.in), t.w, as_int(g.out), 0.0F, y, as_int(g.out));
      add_bias_activate(y, t.b, act, rows, g.out);
    }
  });
}

std::size_t dense_rows_partials_size(const DenseRowsGeometry& g) {
  return block_count(g.rows) * static_cast<std::size_t>((g.in + 1) * g.out);
}

void dense_rows_backward(const DenseRowsGeometry& g, Activation act, const DenseRowsBackward& t) {
  const auto blocks = block_count(g.rows);
  const auto block_floats = static_cast<std::size_t>((g.in + 1) * g.out);  // dw, then db
  parallel_for(0, blocks, 1, [&](std::size_t first, std::size_t last) {
    for (std::size_t block = first; block < last; ++block) {
      const long r0 = static_cast<long>(block) * kRowsPerBlock;
      const long rows = std::min(g.rows - r0, kRowsPerBlock);
      float* delta = t.delta + r0 * g.out;
      float* dw = t.partials + block * block_floats;
      float* db = dw + g.in * g.out;
      std::fill(db, db + g.out, 0.0F);
      activation_backward_column_sums(act, t.y + r0 * g.out, t.dy + r0 * g.out, delta, rows, g.out,
                                      db);
      gemm(true, false, as_int(g.in), as_int(g.out), as_int(rows), 1.0F, t.x + r0 * g.in,
           as_int(g.in), delta, as_int(g.out), 0.0F, dw, as_int(g.out));
      if (t.dx != nullptr) {
        gemm(false, true, as_int(rows), as_int(g.in), as_int(g.out), 1.0F, delta, as_int(g.out),
             t.w, as_int(g.out), 0.0F, t.dx + r0 * g.in, as_int(g.in));
      }
    }
  });
  add_chunk_gradients(t.partials, blocks, static_cast<std::size_t>(g.in * g.out),
                      static_cast<std::size_t>(g.out), t.dw, t.db);
}

}  // namespace runner::kernels
