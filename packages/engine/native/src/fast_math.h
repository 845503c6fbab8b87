// exp and erf written so that GCC vectorises the loops that call them (glibc's expf and erff
// are scalar calls here). Relative error ~2e-7 (exp) and absolute ~1.5e-7 (erf): float
// tolerance of the tfjs kernels they replace.
#pragma once
#include <cstdint>
#include <cstring>

namespace peft {

inline float fastExp(float x) {
  // e^x = 2^n · e^r, n = round(x·log2 e), |r| ≤ ln2 / 2; e^r by its degree-7 Taylor polynomial.
  x = x < -87.f ? -87.f : (x > 88.f ? 88.f : x);
  const float n = __builtin_floorf(x * 1.4426950408889634f + 0.5f);
  const float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
  float p = 1.f / 5040;
  p = p * r + 1.f / 720;
  p = p * r + 1.f / 120;
  p = p * r + 1.f / 24;
  p = p * r + 1.f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// max of x[0..n): 16 running lanes (an element-wise max GCC vectorises; a plain max
// reduction it will not reorder without -ffinite-math-only), then the lanes.
inline float rowMax(const float* __restrict x, int64_t n) {
  float lanes[16];
  for (int k = 0; k < 16; k++) lanes[k] = -__builtin_inff();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int k = 0; k < 16; k++) lanes[k] = x[j + k] > lanes[k] ? x[j + k] : lanes[k];
  float m = -__builtin_inff();
  for (int k = 0; k < 16; k++) m = lanes[k] > m ? lanes[k] : m;
  for (; j < n; j++) m = x[j] > m ? x[j] : m;
  return m;
}

inline float fastSigmoid(float z) { return 1.f / (1.f + fastExp(-z)); }

// Abramowitz & Stegun 7.1.26.
inline float fastErf(float x) {
  const float a = x < 0 ? -x : x;
  const float t = 1.f / (1.f + 0.3275911f * a);
  const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float y = 1.f - poly * fastExp(-a * a);
  return x < 0 ? -y : y;
}

// y = softmax(scale·x + bias) of one row (separate loops so each vectorises).
inline void softmaxRow(const float* __restrict x, const float* __restrict bias, float* __restrict y, int64_t K, float scale) {
  for (int64_t j = 0; j < K; j++) y[j] = x[j] * scale + bias[j];
  const float mx = rowMax(y, K);
  float sum = 0;
  for (int64_t j = 0; j < K; j++) {
    y[j] = fastExp(y[j] - mx);
    sum += y[j];
  }
  const float inv = 1.f / sum;
  for (int64_t j = 0; j < K; j++) y[j] *= inv;
}

}  // namespace peft
