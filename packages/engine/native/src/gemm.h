// A small single-threaded float GEMM for the attention kernels' per-head products
// ([seq × headDim] · [headDim × keys] and the like, which fit in L1/L2): register blocks of
// 8 rows × 32 columns with GCC vector types (AVX-512 or 2× AVX2 registers, as -march allows).
#pragma once
#include <cstdint>
#include <cstring>

namespace peft {

typedef float v16 __attribute__((vector_size(64)));

inline v16 load16(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store16(float* p, v16 v) { std::memcpy(p, &v, sizeof v); }

// C[MR × 16·NV] (+)= A[MR × K] · B[K × 16·NV]; with AT, A is stored transposed ([K × MR], row stride lda).
template <int MR, int NV, bool AT = false>
inline void gemmBlock(int64_t K, const float* __restrict A, int64_t lda, const float* __restrict B, int64_t ldb, float* __restrict C,
                      int64_t ldc, bool accumulate) {
  v16 c[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) c[i][j] = accumulate ? load16(C + i * ldc + 16 * j) : v16{};
  for (int64_t k = 0; k < K; k++) {
    v16 b[NV];
    for (int j = 0; j < NV; j++) b[j] = load16(B + k * ldb + 16 * j);
    for (int i = 0; i < MR; i++) {
      const float a = AT ? A[k * lda + i] : A[i * lda + k];
      for (int j = 0; j < NV; j++) c[i][j] += a * b[j];
    }
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NV; j++) store16(C + i * ldc + 16 * j, c[i][j]);
}

// Columns [n0, N) that are not a multiple of 16, for rows [0, M).
template <bool AT>
inline void gemmTail(int64_t M, int64_t n0, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                     int64_t ldc, bool accumulate) {
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = n0; j < N; j++) {
      float s = accumulate ? C[i * ldc + j] : 0.f;
      for (int64_t k = 0; k < K; k++) s += (AT ? A[k * lda + i] : A[i * lda + k]) * B[k * ldb + j];
      C[i * ldc + j] = s;
    }
}

template <int MR, bool AT>
inline void gemmRows(int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc, bool acc) {
  int64_t j = 0;
  for (; j + 32 <= N; j += 32) gemmBlock<MR, 2, AT>(K, A, lda, B + j, ldb, C + j, ldc, acc);
  for (; j + 16 <= N; j += 16) gemmBlock<MR, 1, AT>(K, A, lda, B + j, ldb, C + j, ldc, acc);
  if (j < N) gemmTail<AT>(MR, j, N, K, A, lda, B, ldb, C, ldc, acc);
}

// C[M × N] = (accumulate ? C : 0) + op(A) · B[K × N], row-major with the given row strides;
// op(A) = A [M × K], or with AT the transpose of A stored [K × M].
template <bool AT = false>
inline void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
                 bool accumulate) {
  // Row i of op(A) starts at A + i·lda, or (transposed) at column i: A + i.
  const int64_t step = AT ? 1 : lda;
  int64_t i = 0;
  for (; i + 8 <= M; i += 8) gemmRows<8, AT>(N, K, A + i * step, lda, B, ldb, C + i * ldc, ldc, accumulate);
  for (; i + 4 <= M; i += 4) gemmRows<4, AT>(N, K, A + i * step, lda, B, ldb, C + i * ldc, ldc, accumulate);
  for (; i < M; i++) gemmRows<1, AT>(N, K, A + i * step, lda, B, ldb, C + i * ldc, ldc, accumulate);
}

// out[cols × rows] = in[rows × cols]ᵀ (in has row stride ld).
inline void transpose(int64_t rows, int64_t cols, const float* __restrict in, int64_t ld, float* __restrict out) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t c = 0; c < cols; c++) out[c * rows + r] = in[r * ld + c];
}

}  // namespace peft
