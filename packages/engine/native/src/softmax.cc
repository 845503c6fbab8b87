// Attention's scale + additive mask + softmax as one kernel, and its backward, between the
// two batched products (which stay TensorFlow's oneDNN BatchMatMul).
#include <cmath>

#include "common.h"
#include "fast_math.h"

namespace peft {
namespace {

struct ScaleAttr {
  float scale;
};
void* createScale(TF_OpKernelConstruction* c) { return new ScaleAttr{attrFloat(c, "scale", 1.f)}; }
void deleteScale(void* p) { delete static_cast<ScaleAttr*>(p); }

// (scores [..., B, H, S, K] (leading dims of size 1 allowed), bias [B, 1, S or 1, K]) ->
// probs = softmax(scale·scores + bias) over K.
void attentionSoftmax(void* state, TF_OpKernelContext* ctx) {
  const float scale = static_cast<ScaleAttr*>(state)->scale;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *x = in.get(0), *bias = in.get(1);
    Output y;
    if (!x || !bias) {
      TF_OpKernelContext_Failure(ctx, s);
    } else {
      const auto xd = dims(x), bd = dims(bias);
      const int64_t rank = static_cast<int64_t>(xd.size());
      if (rank < 2 || bd.size() != 4) {
        fail(ctx, s, "PeftLabAttentionSoftmax: scores need rank >= 2 and the bias rank 4");
      } else {
        const int64_t K = xd[rank - 1], S = xd[rank - 2], B = bd[0], Sb = bd[2];
        const int64_t rows = K ? count(x) / K : 0;
        if (bd[3] != K || bd[1] != 1 || (Sb != 1 && Sb != S) || B == 0 || rows % (B * S) != 0) {
          fail(ctx, s, "PeftLabAttentionSoftmax: bias shape does not broadcast over the scores");
        } else if (allocate(ctx, 0, xd, y, s)) {
          const int64_t perBatch = rows / B;  // H·S rows per batch element
          const float *xp = data(x), *bp = data(bias);
          float* yp = y.ptr();
          parallelFor(rows, K * 8, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; r++) softmaxRow(xp + r * K, bp + ((r / perBatch) * Sb + (Sb == 1 ? 0 : r % S)) * K, yp + r * K, K, scale);
          });
        }
      }
    }
  }
  TF_DeleteStatus(s);
}

// (dprobs, probs) -> dscores = scale·p∘(dp − Σ_k dp·p)
void attentionSoftmaxGrad(void* state, TF_OpKernelContext* ctx) {
  const float scale = static_cast<ScaleAttr*>(state)->scale;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *dp = in.get(0), *p = in.get(1);
    Output dx;
    if (!dp || !p) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (count(dp) != count(p) || TF_NumDims(p) < 1) {
      fail(ctx, s, "PeftLabAttentionSoftmaxGrad: dprobs and probs differ in size");
    } else if (allocate(ctx, 0, dims(p), dx, s)) {
      const int64_t K = TF_Dim(p, TF_NumDims(p) - 1);
      const int64_t rows = K ? count(p) / K : 0;
      const float *dpp = data(dp), *pp = data(p);
      float* out = dx.ptr();
      parallelFor(rows, K * 4, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; r++) {
          const float *a = dpp + r * K, *b = pp + r * K;
          float dot = 0;
          for (int64_t j = 0; j < K; j++) dot += a[j] * b[j];
          for (int64_t j = 0; j < K; j++) out[r * K + j] = scale * b[j] * (a[j] - dot);
        }
      });
    }
  }
  TF_DeleteStatus(s);
}

void registerAll() {
  registerOp({"PeftLabAttentionSoftmax", {"scores: float", "bias: float"}, {"probs: float"}, {"scale: float"}}, createScale,
             attentionSoftmax, deleteScale);
  registerOp({"PeftLabAttentionSoftmaxGrad", {"dprobs: float", "probs: float"}, {"dscores: float"}, {"scale: float"}}, createScale,
             attentionSoftmaxGrad, deleteScale);
}
Registrar registrar(registerAll);

}  // namespace
}  // namespace peft
