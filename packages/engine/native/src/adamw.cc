// Multi-tensor AdamW and the global gradient norm: one kernel for every parameter of a step,
// where the tfjs path runs ~10 kernels per flat group plus concatenations and splits.
#include <cmath>

#include "common.h"

namespace peft {
namespace {

// Inputs: params[N], grads[N], m[N], v[N], decay[N] (1 = weight decay applies), hyper[8] =
// {beta1, beta2, 1 − beta1, 1 − beta2, epsHat, stepSize, decay (lr·wd), gradScale}; 1 − beta is
// passed in, computed in double (1 − float(0.999) is off by 1.3e-5 relative). Bias correction is folded into
// stepSize and epsHat by the caller. Outputs: params', m', v' (new tensors; the caller swaps them in).
void adamw(void*, TF_OpKernelContext* ctx) {
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    const int n = (TF_NumInputs(ctx) - 2) / 4;
    TF_Tensor* decayT = in.get(4 * n);
    TF_Tensor* hyperT = decayT ? in.get(4 * n + 1) : nullptr;
    if (!hyperT) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (count(decayT) != n || count(hyperT) != 8) {
      fail(ctx, s, "PeftLabAdamW: decay must have N values and hyper 8");
    } else {
      const float* h = data(hyperT);
      const float b1 = h[0], b2 = h[1], c1 = h[2], c2 = h[3], epsHat = h[4], stepSize = h[5], decayRate = h[6], scale = h[7];
      const float* decay = data(decayT);
      for (int i = 0; i < n && TF_GetCode(s) == TF_OK; i++) {
        TF_Tensor *p = in.get(i), *g = in.get(n + i), *m = in.get(2 * n + i), *v = in.get(3 * n + i);
        if (!p || !g || !m || !v) break;
        const int64_t len = count(p);
        if (count(g) != len || count(m) != len || count(v) != len) {
          fail(ctx, s, "PeftLabAdamW: parameter " + std::to_string(i) + ": param, grad, m and v sizes differ");
          break;
        }
        Output po, mo, vo;
        if (!allocate(ctx, i, dims(p), po, s) || !allocate(ctx, n + i, dims(m), mo, s) || !allocate(ctx, 2 * n + i, dims(v), vo, s)) break;
        const float *pp = data(p), *gp = data(g), *mp = data(m), *vp = data(v);
        float *pn = po.ptr(), *mn = mo.ptr(), *vn = vo.ptr();
        const float wd = decay[i] != 0 ? decayRate : 0.f;
        parallelFor(len, 12, [&](int64_t b, int64_t e) {
          for (int64_t j = b; j < e; j++) {
            const float gs = gp[j] * scale;
            const float m1 = b1 * mp[j] + c1 * gs;
            const float v1 = b2 * vp[j] + c2 * gs * gs;
            mn[j] = m1;
            vn[j] = v1;
            pn[j] = pp[j] - stepSize * m1 / (std::sqrt(v1) + epsHat) - wd * pp[j];
          }
        });
      }
    }
  }
  TF_DeleteStatus(s);
}

// Inputs: x[N]. Output: the scalar √(Σ x²) over all of them (double accumulation).
void globalNorm(void*, TF_OpKernelContext* ctx) {
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    const int n = TF_NumInputs(ctx);
    double total = 0;
    bool ok = true;
    for (int i = 0; i < n; i++) {
      TF_Tensor* t = in.get(i);
      if (!t) {
        ok = false;
        TF_OpKernelContext_Failure(ctx, s);
        break;
      }
      const float* x = data(t);
      const int64_t len = count(t);
      const int parts = planParts(len, 2);
      std::vector<double> partial(parts, 0.0);
      runParts(len, parts, [&](int part, int64_t b, int64_t e) {
        double acc = 0;
        for (int64_t j = b; j < e; j++) acc += static_cast<double>(x[j]) * x[j];
        partial[part] = acc;
      });
      for (double p : partial) total += p;
    }
    Output out;
    if (ok && allocate(ctx, 0, {}, out, s)) out.ptr()[0] = static_cast<float>(std::sqrt(total));
  }
  TF_DeleteStatus(s);
}

void registerAll() {
  registerOp({"PeftLabAdamW",
              {"params: N * float", "grads: N * float", "m: N * float", "v: N * float", "decay: float", "hyper: float"},
              {"new_params: N * float", "new_m: N * float", "new_v: N * float"},
              {"N: int >= 1"}},
             noState, adamw, noDelete);
  registerOp({"PeftLabGlobalNorm", {"x: N * float"}, {"norm: float"}, {"N: int >= 1"}}, noState, globalNorm, noDelete);
}
Registrar registrar(registerAll);

}  // namespace
}  // namespace peft
