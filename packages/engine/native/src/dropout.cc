// Dropout with a mask regenerated from (seed, element index) in the backward pass: one kernel
// each way and nothing saved, where tf.dropout draws its uniforms in JavaScript and uploads them
// (10–25 ms for a GPT-2 activation here) and keeps the mask for the gradient.
#include "common.h"
#include "dropout.h"

namespace peft {
namespace {

struct RateAttr {
  float rate;
};
void* createRate(TF_OpKernelConstruction* c) { return new RateAttr{attrFloat(c, "rate", 0.f)}; }
void deleteRate(void* p) { delete static_cast<RateAttr*>(p); }

// (x, seed int32 scalar) -> x·mask/(1 − rate); the gradient op applies the same mask to dy.
void dropout(void* state, TF_OpKernelContext* ctx) {
  const float rate = static_cast<RateAttr*>(state)->rate;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *x = in.get(0), *seedT = in.get(1);
    Output y;
    if (!x || !seedT) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (TF_TensorType(seedT) != TF_INT32 || count(seedT) != 1 || !(rate >= 0.f && rate < 1.f)) {
      fail(ctx, s, "PeftLabDropout: seed must be one int32 and rate in [0, 1)");
    } else if (allocate(ctx, 0, dims(x), y, s)) {
      const uint32_t seed = static_cast<uint32_t>(*static_cast<const int32_t*>(TF_TensorData(seedT)));
      const uint32_t threshold = dropoutThreshold(rate);
      const float keep = 1.f / (1.f - rate);
      const float* xp = data(x);
      float* yp = y.ptr();
      parallelFor(count(x), 8, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; i++) yp[i] = xp[i] * dropoutScale(seed, static_cast<uint64_t>(i), threshold, keep);
      });
    }
  }
  TF_DeleteStatus(s);
}

void registerAll() {
  // The gradient is the same op on dy (same seed, same mask).
  registerOp({"PeftLabDropout", {"x: float", "seed: int32"}, {"y: float"}, {"rate: float"}}, createRate, dropout, deleteRate);
}
Registrar registrar(registerAll);

}  // namespace
}  // namespace peft
