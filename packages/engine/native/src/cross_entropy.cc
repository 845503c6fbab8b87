// Cross-entropy of a chunk of LM-head (or classifier) logits against int32 labels, with the
// gradient w.r.t. the logits computed in the same pass. The engine feeds it row chunks of the
// LM head and never holds the whole [tokens × vocab] logits, their softmax and gradient at once.
#include <cmath>

#include "common.h"
#include "fast_math.h"

namespace peft {
namespace {

struct CeAttrs {
  int ignoreIndex;
};
void* createCe(TF_OpKernelConstruction* c) { return new CeAttrs{attrInt(c, "ignore_index", -100)}; }
void deleteCe(void* p) { delete static_cast<CeAttrs*>(p); }

// (logits [R, V], labels int32 [R]) -> nll [R] (0 where label = ignore_index) and
// dlogits [R, V] = softmax − onehot (0 rows where ignored).
void crossEntropy(void* state, TF_OpKernelContext* ctx) {
  const int ignore = static_cast<CeAttrs*>(state)->ignoreIndex;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *x = in.get(0), *labels = in.get(1);
    Output nll, grad;
    if (!x || !labels) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (TF_NumDims(x) != 2 || TF_TensorType(labels) != TF_INT32 || count(labels) != TF_Dim(x, 0)) {
      fail(ctx, s, "PeftLabCrossEntropyWithGrad: logits must be [R, V] and labels int32 [R]");
    } else {
      const int64_t R = TF_Dim(x, 0), V = TF_Dim(x, 1);
      if (allocate(ctx, 0, {R}, nll, s) && allocate(ctx, 1, {R, V}, grad, s)) {
        const float* xp = data(x);
        const int32_t* lp = static_cast<const int32_t*>(TF_TensorData(labels));
        float* np = nll.ptr();
        float* gp = grad.ptr();
        bool badLabel = false;
        parallelFor(R, V * 6, [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; r++) {
            const float* xr = xp + r * V;
            const int32_t label = lp[r];
            if (label == ignore || label < 0 || label >= V) {
              if (label != ignore) badLabel = true;
              np[r] = 0;
              for (int64_t j = 0; j < V; j++) gp[r * V + j] = 0;
              continue;
            }
            const float mx = rowMax(xr, V);
            float sum = 0;
            float* gr = gp + r * V;
            for (int64_t j = 0; j < V; j++) {
              gr[j] = fastExp(xr[j] - mx);
              sum += gr[j];
            }
            const float inv = 1.f / sum;
            for (int64_t j = 0; j < V; j++) gr[j] *= inv;
            gr[label] -= 1.f;
            np[r] = std::log(sum) + mx - xr[label];
          }
        });
        if (badLabel) fail(ctx, s, "PeftLabCrossEntropyWithGrad: a label is outside [0, V) and is not ignore_index");
      }
    }
  }
  TF_DeleteStatus(s);
}

void registerAll() {
  registerOp({"PeftLabCrossEntropyWithGrad", {"logits: float", "labels: int32"}, {"nll: float", "dlogits: float"},
              {"ignore_index: int = -100"}},
             createCe, crossEntropy, deleteCe);
}
Registrar registrar(registerAll);

}  // namespace
}  // namespace peft
