#pragma once
// Single-precision GEMM on row-major matrices, single-threaded: parallelism comes from the
// caller's oneTBB tasks. Backed by oneDNN's dnnl_sgemm, which beat Debian's OpenBLAS, Eigen and
// BLIS on every shape of the reference model on this project's machine (docs/performance.md);
// only this file knows that.
namespace runner::kernels {

// C[m x n] = alpha * op(A) * op(B) + beta * C, where op(A) is m x k and op(B) is k x n.
// lda/ldb/ldc are row strides of A, B, C as stored.
void gemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc);

// dst[b] = src[b]^T for `count` row-major matrices of rows x cols, one after another in each
// (the kernels' per-tap and per-point weight matrices, as their input gradients read them).
void transpose_matrices(long count, long rows, long cols, const float* src, float* dst);

// A long size as gemm's int argument (dnnl_sgemm takes int), in one place for every caller.
inline int as_int(long v) {
  return static_cast<int>(v);
}

}  // namespace runner::kernels
