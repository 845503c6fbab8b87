// GELU (tanh and erf forms), with an optional bias added first, and the gated units
// SwiGLU / GeGLU, forward and backward: one pass over memory each, where the tfjs path
// runs 4–6 elementwise kernels forward and as many again backward.
#include <cmath>

#include "common.h"
#include "fast_math.h"

namespace peft {
namespace {

constexpr float kSqrt2OverPi = 0.7978845608028654f;
constexpr float kK0 = 2 * kSqrt2OverPi;             // GELU-tanh: x·σ(x·(k0 + k1·x²))
constexpr float kK1 = 2 * kSqrt2OverPi * 0.044715f;
constexpr float kInvSqrt2 = 0.7071067811865476f;
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

inline float sigmoid(float z) { return fastSigmoid(z); }

inline float gelu(float x, bool tanhForm) {
  if (tanhForm) return x * sigmoid(x * (kK0 + kK1 * x * x));
  return 0.5f * x * (1.f + fastErf(x * kInvSqrt2));
}

inline float geluDerivative(float x, bool tanhForm) {
  if (tanhForm) {
    const float s = sigmoid(x * (kK0 + kK1 * x * x));
    return s + x * s * (1.f - s) * (kK0 + 3 * kK1 * x * x);
  }
  return 0.5f * (1.f + fastErf(x * kInvSqrt2)) + x * kInvSqrt2Pi * fastExp(-0.5f * x * x);
}

// Row loops specialised at compile time (no branch in the inner loop, so GCC vectorises them).
template <bool Tanh, bool Bias>
void geluRows(const float* __restrict x, const float* __restrict b, float* __restrict y, int64_t rows, int64_t f) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < f; j++) y[r * f + j] = gelu(x[r * f + j] + (Bias ? b[j] : 0.f), Tanh);
}

// dx = dy·gelu'(x + b); with a bias, acc[j] += dx over the rows (the bias gradient's partial sum).
template <bool Tanh, bool Bias>
void geluGradRows(const float* __restrict dy, const float* __restrict x, const float* __restrict b, float* __restrict dx,
                  float* __restrict acc, int64_t rows, int64_t f) {
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < f; j++) {
      const float g = dy[r * f + j] * geluDerivative(x[r * f + j] + (Bias ? b[j] : 0.f), Tanh);
      dx[r * f + j] = g;
      if (Bias) acc[j] += g;
    }
}

struct ActAttrs {
  bool tanhForm;  // GELU: tanh approximation (gelu_new) or exact erf
  int act;        // GLU: 0 = SiLU (SwiGLU), 1 = GELU-tanh (GeGLU)
};
void* createAct(TF_OpKernelConstruction* c) { return new ActAttrs{attrBool(c, "approximate", true), attrInt(c, "act", 0)}; }
void deleteAct(void* p) { delete static_cast<ActAttrs*>(p); }

// (x [..., f], b [f]?) -> gelu(x + b)
void geluForward(void* state, TF_OpKernelContext* ctx) {
  const bool tanhForm = static_cast<ActAttrs*>(state)->tanhForm;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    const bool hasBias = TF_NumInputs(ctx) == 2;
    TF_Tensor* x = in.get(0);
    TF_Tensor* b = hasBias && x ? in.get(1) : nullptr;
    Output y;
    if (!x || (hasBias && !b)) {
      TF_OpKernelContext_Failure(ctx, s);
    } else {
      const auto xd = dims(x);
      const int64_t f = xd.empty() ? 1 : xd.back(), n = count(x);
      if (hasBias && count(b) != f) {
        fail(ctx, s, "PeftLabBiasGelu: bias has " + std::to_string(count(b)) + " values, x's last axis " + std::to_string(f));
      } else if (allocate(ctx, 0, xd, y, s)) {
        const float* xp = data(x);
        const float* bp = hasBias ? data(b) : nullptr;
        float* yp = y.ptr();
        const int64_t rows = f ? n / f : 0;
        auto rowsFn = tanhForm ? (bp ? geluRows<true, true> : geluRows<true, false>) : (bp ? geluRows<false, true> : geluRows<false, false>);
        parallelFor(rows, f * 20, [&](int64_t r0, int64_t r1) { rowsFn(xp + r0 * f, bp, yp + r0 * f, r1 - r0, f); });
      }
    }
  }
  TF_DeleteStatus(s);
}

// (dy, x, b?) -> (dx, db?) where dx = dy·gelu'(x + b), db = Σ dx over rows
void geluBackward(void* state, TF_OpKernelContext* ctx) {
  const bool tanhForm = static_cast<ActAttrs*>(state)->tanhForm;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    const bool hasBias = TF_NumInputs(ctx) == 3;
    TF_Tensor *dy = in.get(0), *x = in.get(1);
    TF_Tensor* b = hasBias && x ? in.get(2) : nullptr;
    if (!dy || !x || (hasBias && !b)) {
      TF_OpKernelContext_Failure(ctx, s);
    } else {
      const auto xd = dims(x);
      const int64_t f = xd.empty() ? 1 : xd.back(), n = count(x);
      Output dx, db;
      if (count(dy) != n || (hasBias && count(b) != f)) {
        fail(ctx, s, "PeftLabBiasGeluGrad: dy or bias does not match x");
      } else if (allocate(ctx, 0, xd, dx, s) && (!hasBias || allocate(ctx, 1, {f}, db, s))) {
        const float *dyp = data(dy), *xp = data(x);
        const float* bp = hasBias ? data(b) : nullptr;
        float* dxp = dx.ptr();
        const int64_t rows = f ? n / f : 0;
        const int parts = planParts(rows, f * 24);
        std::vector<float> partial(hasBias ? parts * f : 0, 0.f);
        auto rowsFn = tanhForm ? (bp ? geluGradRows<true, true> : geluGradRows<true, false>) : (bp ? geluGradRows<false, true> : geluGradRows<false, false>);
        runParts(rows, parts, [&](int part, int64_t r0, int64_t r1) {
          rowsFn(dyp + r0 * f, xp + r0 * f, bp, dxp + r0 * f, hasBias ? partial.data() + part * f : nullptr, r1 - r0, f);
        });
        if (hasBias) {
          float* dbp = db.ptr();
          for (int64_t j = 0; j < f; j++) dbp[j] = 0;
          for (int p = 0; p < parts; p++)
            for (int64_t j = 0; j < f; j++) dbp[j] += partial[p * f + j];
        }
      }
    }
  }
  TF_DeleteStatus(s);
}

inline void gateValue(float g, int act, float& value, float& derivative) {
  if (act == 0) {
    const float s = sigmoid(g);
    value = g * s;
    derivative = s * (1.f + g * (1.f - s));
  } else {
    value = gelu(g, true);
    derivative = geluDerivative(g, true);
  }
}

template <int Act>
void gluRange(const float* __restrict g, const float* __restrict u, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float v, d;
    gateValue(g[i], Act, v, d);
    y[i] = v * u[i];
  }
}

template <int Act>
void gluGradRange(const float* __restrict dy, const float* __restrict g, const float* __restrict u, float* __restrict dg,
                  float* __restrict du, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float v, d;
    gateValue(g[i], Act, v, d);
    du[i] = dy[i] * v;
    dg[i] = dy[i] * u[i] * d;
  }
}

// (gate, up) -> act(gate)·up
void gluForward(void* state, TF_OpKernelContext* ctx) {
  const int act = static_cast<ActAttrs*>(state)->act;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *g = in.get(0), *u = in.get(1);
    Output y;
    if (!g || !u) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (count(g) != count(u)) {
      fail(ctx, s, "PeftLabGlu: gate and up differ in size");
    } else if (allocate(ctx, 0, dims(g), y, s)) {
      const float *gp = data(g), *up = data(u);
      float* yp = y.ptr();
      auto fn = act == 0 ? gluRange<0> : gluRange<1>;
      parallelFor(count(g), 20, [&](int64_t b, int64_t e) { fn(gp + b, up + b, yp + b, e - b); });
    }
  }
  TF_DeleteStatus(s);
}

// (dy, gate, up) -> (dgate, dup)
void gluBackward(void* state, TF_OpKernelContext* ctx) {
  const int act = static_cast<ActAttrs*>(state)->act;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *dy = in.get(0), *g = in.get(1), *u = in.get(2);
    Output dg, du;
    if (!dy || !g || !u) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (count(g) != count(u) || count(dy) != count(g)) {
      fail(ctx, s, "PeftLabGluGrad: dy, gate and up differ in size");
    } else if (allocate(ctx, 0, dims(g), dg, s) && allocate(ctx, 1, dims(u), du, s)) {
      const float *dyp = data(dy), *gp = data(g), *up = data(u);
      float *dgp = dg.ptr(), *dup = du.ptr();
      auto fn = act == 0 ? gluGradRange<0> : gluGradRange<1>;
      parallelFor(count(g), 24, [&](int64_t b, int64_t e) { fn(dyp + b, gp + b, up + b, dgp + b, dup + b, e - b); });
    }
  }
  TF_DeleteStatus(s);
}

void registerAll() {
  registerOp({"PeftLabGelu", {"x: float"}, {"y: float"}, {"approximate: bool = true"}}, createAct, geluForward, deleteAct);
  registerOp({"PeftLabBiasGelu", {"x: float", "b: float"}, {"y: float"}, {"approximate: bool = true"}}, createAct, geluForward, deleteAct);
  registerOp({"PeftLabGeluGrad", {"dy: float", "x: float"}, {"dx: float"}, {"approximate: bool = true"}}, createAct, geluBackward, deleteAct);
  registerOp({"PeftLabBiasGeluGrad", {"dy: float", "x: float", "b: float"}, {"dx: float", "db: float"}, {"approximate: bool = true"}},
             createAct, geluBackward, deleteAct);
  registerOp({"PeftLabGlu", {"gate: float", "up: float"}, {"y: float"}, {"act: int = 0"}}, createAct, gluForward, deleteAct);
  registerOp({"PeftLabGluGrad", {"dy: float", "gate: float", "up: float"}, {"dgate: float", "dup: float"}, {"act: int = 0"}}, createAct,
             gluBackward, deleteAct);
}
Registrar registrar(registerAll);

}  // namespace
}  // namespace peft
