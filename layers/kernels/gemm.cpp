#include "layers/kernels/gemm.hpp"

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <cassert>

namespace runner::kernels {

void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  if (m == 0 || n == 0) {
    return;
  }
  // Debian's oneDNN threads with OpenMP; inside a oneTBB task it must use one thread, or the
  // two runtimes oversubscribe the cores. The setting is per thread, so set it once per thread.
  thread_local bool single_threaded = [] {
    omp_set_num_threads(1);
    return true;
  }();
  (void)single_threaded;
  [[maybe_unused]] const dnnl_status_t status = dnnl_sgemm(
      trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  assert(status == dnnl_success);
}

void transpose_matrices(long count, long rows, long cols, const float* src, float* dst) {
  for (long b = 0; b < count; ++b) {
    const float* from = src + b * rows * cols;
    float* to = dst + b * rows * cols;
    for (long r = 0; r < rows; ++r) {
      for (long c = 0; c < cols; ++c) {
        to[c * rows + r] = from[r * cols + c];
      }
    }
  }
}

}  // namespace runner::kernels
