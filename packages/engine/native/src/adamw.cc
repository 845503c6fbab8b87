// Multi-tensor AdamW and the global gradient norm: one kernel for every parameter of a step,
// where the tfjs path runs ~10 kernels per flat group plus concatenations and splits.
//
// The update is in place, as PyTorch's optimizers do: it writes the parameters and moments
// into their own buffers. New output tensors would hold a second copy of every trainable
// weight and both moments at the update (1.5 GB for full fine-tuning of a 124 M model) and
// fault in fresh pages each step. The caller guarantees the buffers are not shared with a
// tensor that must keep the old values (engine variables and the optimiser's own moments).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common.h"

namespace peft {
namespace {

// Inputs: params[N], grads[N], m[N], v[N], decay[N] (1 = weight decay applies), hyper[8] =
// {beta1, beta2, 1 − beta1, 1 − beta2, epsHat, stepSize, decay (lr·wd), gradScale}; 1 − beta is
// passed in, computed in double (1 − float(0.999) is off by 1.3e-5 relative). Bias correction is folded into
// stepSize and epsHat by the caller. params, m and v are updated in place; the one output is a
// scalar 0 (an op with no output does not fit tfjs's kernel contract).
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
      // Every parameter's range in one flat index space, so one parallel pass covers them all
      // (a pool hand-off per small tensor costs more than its update).
      struct Param {
        float *p, *m, *v;
        const float* g;
        int64_t begin, len;
        float wd;
      };
      std::vector<Param> list;
      int64_t total = 0;
      for (int i = 0; i < n; i++) {
        TF_Tensor *p = in.get(i), *g = in.get(n + i), *m = in.get(2 * n + i), *v = in.get(3 * n + i);
        if (!p || !g || !m || !v) {
          TF_OpKernelContext_Failure(ctx, s);
          break;
        }
        const int64_t len = count(p);
        if (count(g) != len || count(m) != len || count(v) != len) {
          fail(ctx, s, "PeftLabAdamW: parameter " + std::to_string(i) + ": param, grad, m and v sizes differ");
          break;
        }
        list.push_back({data(p), data(m), data(v), data(g), total, len, decay[i] != 0 ? decayRate : 0.f});
        total += len;
      }
      if (TF_GetCode(s) == TF_OK) {
        parallelFor(total, 12, [&](int64_t b, int64_t e) {
          // The parameters overlapping [b, e): binary search for the first.
          size_t k = std::upper_bound(list.begin(), list.end(), b, [](int64_t x, const Param& q) { return x < q.begin; }) - list.begin() - 1;
          for (; k < list.size() && list[k].begin < e; k++) {
            const Param& q = list[k];
            const int64_t j0 = std::max(b, q.begin) - q.begin, j1 = std::min(e, q.begin + q.len) - q.begin;
            float *pp = q.p, *mp = q.m, *vp = q.v;
            const float* gp = q.g;
            for (int64_t j = j0; j < j1; j++) {
              const float gs = gp[j] * scale;
              const float m1 = b1 * mp[j] + c1 * gs;
              const float v1 = b2 * vp[j] + c2 * gs * gs;
              mp[j] = m1;
              vp[j] = v1;
              pp[j] = pp[j] - stepSize * m1 / (std::sqrt(v1) + epsHat) - q.wd * pp[j];
            }
          }
        });
      }
      Output done;
      if (TF_GetCode(s) == TF_OK && allocate(ctx, 0, {}, done, s)) done.ptr()[0] = 0;
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
    // One parallel pass over all tensors (as in the AdamW kernel).
    std::vector<std::pair<const float*, int64_t>> list;
    std::vector<int64_t> starts;
    int64_t all = 0;
    bool ok = true;
    for (int i = 0; i < n; i++) {
      TF_Tensor* t = in.get(i);
      if (!t) {
        ok = false;
        TF_OpKernelContext_Failure(ctx, s);
        break;
      }
      list.push_back({data(t), count(t)});
      starts.push_back(all);
      all += count(t);
    }
    double total = 0;
    if (ok) {
      const int parts = planParts(all, 2);
      std::vector<double> partial(parts, 0.0);
      runParts(all, parts, [&](int part, int64_t b, int64_t e) {
        size_t k = std::upper_bound(starts.begin(), starts.end(), b) - starts.begin() - 1;
        double acc = 0;
        for (; k < list.size() && starts[k] < e; k++) {
          const int64_t j0 = std::max(b, starts[k]) - starts[k], j1 = std::min(e, starts[k] + list[k].second) - starts[k];
          const float* x = list[k].first;
          // Float sums (they vectorise) over blocks of 4096, the blocks summed in double.
          for (int64_t j = j0; j < j1; j += 4096) {
            float a = 0;
            for (int64_t t = j; t < std::min(j1, j + 4096); t++) a += x[t] * x[t];
            acc += a;
          }
        }
        partial[part] = acc;
      });
      for (double p : partial) total += p;
    }
    Output out;
    if (ok && allocate(ctx, 0, {}, out, s)) out.ptr()[0] = static_cast<float>(std::sqrt(total));
  }
  TF_DeleteStatus(s);
}

// x -> a copy in a buffer of its own (the in-place update's precondition, see KernelGroup).
void copy(void*, TF_OpKernelContext* ctx) {
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor* x = in.get(0);
    Output y;
    if (!x) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (allocate(ctx, 0, dims(x), y, s)) {
      std::memcpy(y.ptr(), data(x), count(x) * sizeof(float));
    }
  }
  TF_DeleteStatus(s);
}

void registerAll() {
  registerOp({"PeftLabCopy", {"x: float"}, {"y: float"}, {}}, noState, copy, noDelete);
  registerOp({"PeftLabAdamW",
              {"params: N * float", "grads: N * float", "m: N * float", "v: N * float", "decay: float", "hyper: float"},
              {"done: float"},
              {"N: int >= 1"},
              true},
             noState, adamw, noDelete);
  registerOp({"PeftLabGlobalNorm", {"x: N * float"}, {"norm: float"}, {"N: int >= 1"}}, noState, globalNorm, noDelete);
}
Registrar registrar(registerAll);

}  // namespace
}  // namespace peft
