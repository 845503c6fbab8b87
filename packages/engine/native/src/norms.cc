// LayerNorm and RMSNorm over the last axis, forward and backward. The forward keeps only the
// per-row statistics (mean, 1/σ) for the backward pass, not a normalised copy of x.
#include <cmath>

#include "common.h"

namespace peft {
namespace {

struct NormAttrs {
  float eps;
  float offset;  // RMSNorm's weight is used as (w + offset): 0 for Llama, 1 for Gemma
};

void* createNorm(TF_OpKernelConstruction* c) {
  return new NormAttrs{attrFloat(c, "eps", 1e-5f), attrFloat(c, "offset", 0.f)};
}
void deleteNorm(void* p) { delete static_cast<NormAttrs*>(p); }

// Rows and width of x [..., d], checking that each per-feature tensor has d values.
bool rowsOf(TF_OpKernelContext* ctx, TF_Status* s, TF_Tensor* x, std::initializer_list<TF_Tensor*> perFeature, int64_t& rows,
            int64_t& d, const char* op) {
  auto xd = dims(x);
  if (xd.empty()) {
    fail(ctx, s, std::string(op) + ": x must have rank >= 1");
    return false;
  }
  d = xd.back();
  rows = d ? count(x) / d : 0;
  for (TF_Tensor* t : perFeature) {
    if (count(t) != d) {
      fail(ctx, s, std::string(op) + ": weight has " + std::to_string(count(t)) + " values, x's last axis " + std::to_string(d));
      return false;
    }
  }
  return true;
}

// (x, gamma, beta) -> (y, mean [rows], rstd [rows])
void layerNorm(void* state, TF_OpKernelContext* ctx) {
  const float eps = static_cast<NormAttrs*>(state)->eps;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *x = in.get(0), *g = in.get(1), *b = in.get(2);
    int64_t rows, d;
    Output y, mean, rstd;
    if (x && g && b && rowsOf(ctx, s, x, {g, b}, rows, d, "PeftLabLayerNorm") && allocate(ctx, 0, dims(x), y, s) &&
        allocate(ctx, 1, {rows}, mean, s) && allocate(ctx, 2, {rows}, rstd, s)) {
      const float *xp = data(x), *gp = data(g), *bp = data(b);
      float *yp = y.ptr(), *mp = mean.ptr(), *rp = rstd.ptr();
      parallelFor(rows, d * 4, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; r++) {
          const float* xr = xp + r * d;
          float* yr = yp + r * d;
          float sum = 0;
          for (int64_t j = 0; j < d; j++) sum += xr[j];
          const float mu = sum / d;
          float var = 0;
          for (int64_t j = 0; j < d; j++) var += (xr[j] - mu) * (xr[j] - mu);
          const float inv = 1.f / std::sqrt(var / d + eps);
          for (int64_t j = 0; j < d; j++) yr[j] = (xr[j] - mu) * inv * gp[j] + bp[j];
          mp[r] = mu;
          rp[r] = inv;
        }
      });
    } else if (TF_GetCode(s) != TF_OK) {
      TF_OpKernelContext_Failure(ctx, s);
    }
  }
  TF_DeleteStatus(s);
}

// Sums per-part partial [parts, d] rows into out [d].
void reduceParts(const std::vector<float>& partial, int parts, int64_t d, float* out) {
  for (int64_t j = 0; j < d; j++) out[j] = 0;
  for (int p = 0; p < parts; p++)
    for (int64_t j = 0; j < d; j++) out[j] += partial[p * d + j];
}

// (dy, x, gamma, mean, rstd) -> (dx, dgamma, dbeta):
// x̂ = (x − μ)·r, g = dy·γ, dx = r·(g − mean(g) − x̂·mean(g·x̂)), dγ = Σ dy·x̂, dβ = Σ dy.
void layerNormGrad(void*, TF_OpKernelContext* ctx) {
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *dy = in.get(0), *x = in.get(1), *g = in.get(2), *mean = in.get(3), *rstd = in.get(4);
    int64_t rows, d;
    Output dx, dg, db;
    if (dy && x && g && mean && rstd && rowsOf(ctx, s, x, {g}, rows, d, "PeftLabLayerNormGrad")) {
      if (count(dy) != count(x) || count(mean) != rows || count(rstd) != rows) {
        fail(ctx, s, "PeftLabLayerNormGrad: dy, mean or rstd does not match x");
      } else if (allocate(ctx, 0, dims(x), dx, s) && allocate(ctx, 1, {d}, dg, s) && allocate(ctx, 2, {d}, db, s)) {
        const float *dyp = data(dy), *xp = data(x), *gp = data(g), *mp = data(mean), *rp = data(rstd);
        float* dxp = dx.ptr();
        const int parts = planParts(rows, d * 8);
        std::vector<float> pg(parts * d, 0.f), pb(parts * d, 0.f);
        runParts(rows, parts, [&](int part, int64_t r0, int64_t r1) {
          float* accG = pg.data() + part * d;
          float* accB = pb.data() + part * d;
          for (int64_t r = r0; r < r1; r++) {
            const float *xr = xp + r * d, *dyr = dyp + r * d;
            float* dxr = dxp + r * d;
            const float mu = mp[r], inv = rp[r];
            float sg = 0, sgx = 0;
            for (int64_t j = 0; j < d; j++) {
              const float xh = (xr[j] - mu) * inv;
              const float gj = dyr[j] * gp[j];
              sg += gj;
              sgx += gj * xh;
              accG[j] += dyr[j] * xh;
              accB[j] += dyr[j];
            }
            const float a = sg / d, c = sgx / d;
            for (int64_t j = 0; j < d; j++) {
              const float xh = (xr[j] - mu) * inv;
              dxr[j] = inv * (dyr[j] * gp[j] - a - xh * c);
            }
          }
        });
        reduceParts(pg, parts, d, dg.ptr());
        reduceParts(pb, parts, d, db.ptr());
      }
    } else if (TF_GetCode(s) != TF_OK) {
      TF_OpKernelContext_Failure(ctx, s);
    }
  }
  TF_DeleteStatus(s);
}

// (x, w) -> (y, rstd [rows]): y = x·r·(w + offset), r = 1/√(mean(x²) + eps)
void rmsNorm(void* state, TF_OpKernelContext* ctx) {
  const NormAttrs a = *static_cast<NormAttrs*>(state);
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *x = in.get(0), *w = in.get(1);
    int64_t rows, d;
    Output y, rstd;
    if (x && w && rowsOf(ctx, s, x, {w}, rows, d, "PeftLabRmsNorm") && allocate(ctx, 0, dims(x), y, s) &&
        allocate(ctx, 1, {rows}, rstd, s)) {
      const float *xp = data(x), *wp = data(w);
      float *yp = y.ptr(), *rp = rstd.ptr();
      parallelFor(rows, d * 3, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; r++) {
          const float* xr = xp + r * d;
          float ss = 0;
          for (int64_t j = 0; j < d; j++) ss += xr[j] * xr[j];
          const float inv = 1.f / std::sqrt(ss / d + a.eps);
          for (int64_t j = 0; j < d; j++) yp[r * d + j] = xr[j] * inv * (wp[j] + a.offset);
          rp[r] = inv;
        }
      });
    } else if (TF_GetCode(s) != TF_OK) {
      TF_OpKernelContext_Failure(ctx, s);
    }
  }
  TF_DeleteStatus(s);
}

// (dy, x, w, rstd) -> (dx, dw): g = dy·(w + offset), dx = r·g − r³·x·mean(g·x), dw = Σ dy·x·r
void rmsNormGrad(void* state, TF_OpKernelContext* ctx) {
  const float offset = static_cast<NormAttrs*>(state)->offset;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *dy = in.get(0), *x = in.get(1), *w = in.get(2), *rstd = in.get(3);
    int64_t rows, d;
    Output dx, dw;
    if (dy && x && w && rstd && rowsOf(ctx, s, x, {w}, rows, d, "PeftLabRmsNormGrad")) {
      if (count(dy) != count(x) || count(rstd) != rows) {
        fail(ctx, s, "PeftLabRmsNormGrad: dy or rstd does not match x");
      } else if (allocate(ctx, 0, dims(x), dx, s) && allocate(ctx, 1, {d}, dw, s)) {
        const float *dyp = data(dy), *xp = data(x), *wp = data(w), *rp = data(rstd);
        float* dxp = dx.ptr();
        const int parts = planParts(rows, d * 6);
        std::vector<float> pw(parts * d, 0.f);
        runParts(rows, parts, [&](int part, int64_t r0, int64_t r1) {
          float* acc = pw.data() + part * d;
          for (int64_t r = r0; r < r1; r++) {
            const float *xr = xp + r * d, *dyr = dyp + r * d;
            const float inv = rp[r];
            float sgx = 0;
            for (int64_t j = 0; j < d; j++) {
              sgx += dyr[j] * (wp[j] + offset) * xr[j];
              acc[j] += dyr[j] * xr[j] * inv;
            }
            const float c = inv * inv * inv * sgx / d;
            for (int64_t j = 0; j < d; j++) dxp[r * d + j] = inv * dyr[j] * (wp[j] + offset) - c * xr[j];
          }
        });
        reduceParts(pw, parts, d, dw.ptr());
      }
    } else if (TF_GetCode(s) != TF_OK) {
      TF_OpKernelContext_Failure(ctx, s);
    }
  }
  TF_DeleteStatus(s);
}

void registerAll() {
  registerOp({"PeftLabLayerNorm", {"x: float", "gamma: float", "beta: float"}, {"y: float", "mean: float", "rstd: float"}, {"eps: float"}},
             createNorm, layerNorm, deleteNorm);
  registerOp({"PeftLabLayerNormGrad", {"dy: float", "x: float", "gamma: float", "mean: float", "rstd: float"},
              {"dx: float", "dgamma: float", "dbeta: float"}, {}},
             noState, layerNormGrad, noDelete);
  registerOp({"PeftLabRmsNorm", {"x: float", "w: float"}, {"y: float", "rstd: float"}, {"eps: float", "offset: float = 0"}}, createNorm,
             rmsNorm, deleteNorm);
  registerOp({"PeftLabRmsNormGrad", {"dy: float", "x: float", "w: float", "rstd: float"}, {"dx: float", "dw: float"}, {"offset: float = 0"}},
             createNorm, rmsNormGrad, deleteNorm);
}
Registrar registrar(registerAll);

}  // namespace
}  // namespace peft
