// Scaled dot-product attention, forward and backward, one kernel each per layer: per
// (batch, head) the scores Q·Kᵀ, scale + additive mask + softmax, and P·V run in cache with
// gemm.h, and the output is written with the heads already merged ([batch, seq, heads·dim]),
// so the output transpose and TensorFlow's slow small-K batched products disappear.
// Grouped-query attention: heads h = kv·groups + g share kv head kv.
#include <cmath>

#include "common.h"
#include "fast_math.h"
#include "dropout.h"
#include "gemm.h"

namespace peft {
namespace {

struct AttnAttrs {
  float scale;
  float dropout;  // on the probabilities, mask regenerated from (seed, index) in the backward pass
};
void* createAttn(TF_OpKernelConstruction* c) { return new AttnAttrs{attrFloat(c, "scale", 1.f), attrFloat(c, "dropout", 0.f)}; }

// Reads the int32 seed input, or fails the kernel.
bool seedOf(TF_OpKernelContext* ctx, TF_Status* s, TF_Tensor* t, uint32_t& seed) {
  if (TF_TensorType(t) != TF_INT32 || count(t) != 1) {
    fail(ctx, s, "PeftLabAttention: seed must be one int32");
    return false;
  }
  seed = static_cast<uint32_t>(*static_cast<const int32_t*>(TF_TensorData(t)));
  return true;
}

// Row i of head g: P·mask/(1 − rate) into out (the probabilities themselves stay in P).
inline void dropRow(const float* P, float* out, int64_t Kn, uint64_t base, uint32_t seed, uint32_t threshold, float keep) {
  for (int64_t j = 0; j < Kn; j++) out[j] = P[j] * dropoutScale(seed, base + j, threshold, keep);
}
void deleteAttn(void* p) { delete static_cast<AttnAttrs*>(p); }

struct Shapes {
  int64_t B, H, Hkv, S, Kn, D, Sb;
};

// q [.., B, H, S, D] (leading 1s allowed), k and v [.., B, Hkv, Kn, D], bias [B, 1, S or 1, Kn].
bool attentionShapes(TF_OpKernelContext* ctx, TF_Status* s, TF_Tensor* q, TF_Tensor* k, TF_Tensor* v, TF_Tensor* bias, Shapes& o,
                     const char* op) {
  const auto qd = dims(q), kd = dims(k), bd = dims(bias);
  if (qd.size() < 4 || kd.size() != qd.size() || dims(v) != kd || bd.size() != 4) {
    fail(ctx, s, std::string(op) + ": q, k, v need rank >= 4 (k and v alike) and the bias rank 4");
    return false;
  }
  const size_t r = qd.size();
  o = {bd[0], qd[r - 3], kd[r - 3], qd[r - 2], kd[r - 2], qd[r - 1], bd[2]};
  const int64_t qb = count(q) / (o.H * o.S * o.D), kb = count(k) / (o.Hkv * o.Kn * o.D);
  if (kd[r - 1] != o.D || qb != o.B || kb != o.B || o.Hkv == 0 || o.H % o.Hkv != 0 || bd[1] != 1 || bd[3] != o.Kn ||
      (o.Sb != 1 && o.Sb != o.S)) {
    fail(ctx, s, std::string(op) + ": shapes of q, k, v and the bias do not agree");
    return false;
  }
  return true;
}

// (q, k, v, bias, seed) -> (out [B, S, H·D], probs [B, H, S, Kn] before dropout)
void attentionForward(void* state, TF_OpKernelContext* ctx) {
  const float scale = static_cast<AttnAttrs*>(state)->scale, rate = static_cast<AttnAttrs*>(state)->dropout;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *q = in.get(0), *k = in.get(1), *v = in.get(2), *bias = in.get(3), *seedT = in.get(4);
    Shapes sh;
    Output out, probs;
    uint32_t seed = 0;
    if (!q || !k || !v || !bias || !seedT) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (seedOf(ctx, s, seedT, seed) && attentionShapes(ctx, s, q, k, v, bias, sh, "PeftLabAttention") && allocate(ctx, 0, {sh.B, sh.S, sh.H * sh.D}, out, s) &&
               allocate(ctx, 1, {sh.B, sh.H, sh.S, sh.Kn}, probs, s)) {
      const auto [B, H, Hkv, S, Kn, D, Sb] = sh;
      const int64_t groups = H / Hkv;
      const float *qp = data(q), *kp = data(k), *vp = data(v), *bp = data(bias);
      float *op = out.ptr(), *pp = probs.ptr();
      const int parts = planParts(B * H, S * Kn * D * 4);
      const uint32_t threshold = dropoutThreshold(rate);
      const float keep = 1.f / (1.f - rate);
      std::vector<std::vector<float>> scratch(parts, std::vector<float>(D * Kn + (rate > 0 ? S * Kn : 0)));
      runParts(B * H, parts, [&](int part, int64_t g0, int64_t g1) {
        float* kT = scratch[part].data();
        float* dropped = kT + D * Kn;
        for (int64_t g = g0; g < g1; g++) {
          const int64_t b = g / H, h = g % H, kvh = b * Hkv + h / groups;
          const float* qh = qp + g * S * D;
          float* P = pp + g * S * Kn;
          transpose(Kn, D, kp + kvh * Kn * D, D, kT);
          gemm(S, Kn, D, qh, D, kT, Kn, P, Kn, false);
          for (int64_t i = 0; i < S; i++) softmaxRow(P + i * Kn, bp + (b * Sb + (Sb == 1 ? 0 : i)) * Kn, P + i * Kn, Kn, scale);
          const float* PV = P;
          if (rate > 0) {
            for (int64_t i = 0; i < S; i++) dropRow(P + i * Kn, dropped + i * Kn, Kn, static_cast<uint64_t>(g * S + i) * Kn, seed, threshold, keep);
            PV = dropped;
          }
          gemm(S, D, Kn, PV, Kn, vp + kvh * Kn * D, D, op + b * S * H * D + h * D, H * D, false);
        }
      });
    }
  }
  TF_DeleteStatus(s);
}

// (dout [B, S, H·D], q, k, v, probs, seed) -> (dq like q, dk like k, dv like v)
void attentionBackward(void* state, TF_OpKernelContext* ctx) {
  const float scale = static_cast<AttnAttrs*>(state)->scale, rate = static_cast<AttnAttrs*>(state)->dropout;
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *dout = in.get(0), *q = in.get(1), *k = in.get(2), *v = in.get(3), *probs = in.get(4), *seedT = in.get(5);
    Output dq, dk, dv;
    uint32_t seed = 0;
    if (!dout || !q || !k || !v || !probs || !seedT) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (seedOf(ctx, s, seedT, seed)) {
      const auto qd = dims(q), kd = dims(k);
      const size_t r = qd.size();
      const int64_t H = r >= 4 ? qd[r - 3] : 0, S = r >= 4 ? qd[r - 2] : 0, D = r >= 4 ? qd[r - 1] : 0;
      const int64_t Hkv = r >= 4 ? kd[r - 3] : 0, Kn = r >= 4 ? kd[r - 2] : 0;
      const int64_t B = H * S * D ? count(q) / (H * S * D) : 0;
      if (r < 4 || count(dout) != count(q) || count(probs) != B * H * S * Kn || Hkv == 0 || H % Hkv != 0 || dims(v) != kd) {
        fail(ctx, s, "PeftLabAttentionGrad: dout, q, k, v and probs do not agree");
      } else if (allocate(ctx, 0, qd, dq, s) && allocate(ctx, 1, kd, dk, s) && allocate(ctx, 2, kd, dv, s)) {
        const int64_t groups = H / Hkv;
        const float *dop = data(dout), *qp = data(q), *kp = data(k), *vp = data(v), *pp = data(probs);
        float *dqp = dq.ptr(), *dkp = dk.ptr(), *dvp = dv.ptr();
        const int parts = planParts(B * Hkv, groups * S * Kn * D * 8);
        const uint32_t threshold = dropoutThreshold(rate);
        const float keep = 1.f / (1.f - rate);
        struct Scratch {
          std::vector<float> vT, dS, dropped;
        };
        std::vector<Scratch> scratch(parts);
        for (auto& sc : scratch) sc = {std::vector<float>(D * Kn), std::vector<float>(S * Kn), std::vector<float>(rate > 0 ? S * Kn : 0)};
        // One part per kv head: its dk and dv sum over the query heads of its group.
        runParts(B * Hkv, parts, [&](int part, int64_t c0, int64_t c1) {
          float *vT = scratch[part].vT.data(), *dS = scratch[part].dS.data(), *dropped = scratch[part].dropped.data();
          for (int64_t c = c0; c < c1; c++) {
            const int64_t b = c / Hkv;
            const float *kh = kp + c * Kn * D, *vh = vp + c * Kn * D;
            float *dkh = dkp + c * Kn * D, *dvh = dvp + c * Kn * D;
            transpose(Kn, D, vh, D, vT);
            for (int64_t gi = 0; gi < groups; gi++) {
              const int64_t h = (c % Hkv) * groups + gi, g = b * H + h;
              const float *qh = qp + g * S * D, *P = pp + g * S * Kn, *dO = dop + b * S * H * D + h * D;
              gemm(S, Kn, D, dO, H * D, vT, Kn, dS, Kn, false);  // dP = dO·Vᵀ (w.r.t. the dropped P)
              const float* PV = P;                              // what multiplied V
              if (rate > 0) {
                for (int64_t i = 0; i < S; i++) {
                  const uint64_t base = static_cast<uint64_t>(g * S + i) * Kn;
                  dropRow(P + i * Kn, dropped + i * Kn, Kn, base, seed, threshold, keep);
                  for (int64_t j = 0; j < Kn; j++) dS[i * Kn + j] *= dropoutScale(seed, base + j, threshold, keep);
                }
                PV = dropped;
              }
              for (int64_t i = 0; i < S; i++) {
                float* row = dS + i * Kn;
                const float* prow = P + i * Kn;
                float dot = 0;
                for (int64_t j = 0; j < Kn; j++) dot += row[j] * prow[j];
                for (int64_t j = 0; j < Kn; j++) row[j] = scale * prow[j] * (row[j] - dot);
              }
              gemm(S, D, Kn, dS, Kn, kh, D, dqp + g * S * D, D, false);  // dQ = dS·K
              gemm<true>(Kn, D, S, dS, Kn, qh, D, dkh, D, gi > 0);         // dK += dSᵀ·Q
              gemm<true>(Kn, D, S, PV, Kn, dO, H * D, dvh, D, gi > 0);     // dV += P̃ᵀ·dO
            }
          }
        });
      }
    }
  }
  TF_DeleteStatus(s);
}

void registerAll() {
  registerOp({"PeftLabAttention", {"q: float", "k: float", "v: float", "bias: float", "seed: int32"}, {"out: float", "probs: float"},
              {"scale: float", "dropout: float = 0"}},
             createAttn, attentionForward, deleteAttn);
  registerOp({"PeftLabAttentionGrad", {"dout: float", "q: float", "k: float", "v: float", "probs: float", "seed: int32"},
              {"dq: float", "dk: float", "dv: float"}, {"scale: float", "dropout: float = 0"}},
             createAttn, attentionBackward, deleteAttn);
}
Registrar registrar(registerAll);

}  // namespace
}  // namespace peft
