// Scaled dot-product attention, forward and backward, one kernel each per layer: per
// (batch, head) the scores Q·Kᵀ, scale + additive mask + softmax, and P·V run in cache with
// gemm.h, and the output is written with the heads already merged ([batch, seq, heads·dim]),
// so the output transpose and TensorFlow's slow small-K batched products disappear.
// Grouped-query attention: heads h = kv·groups + g share kv head kv. The packed variant reads
// q, k, v straight from GPT-2's fused QKV projection, so the head split (a transpose and a
// split forward, a concat and a transpose backward) and its copies disappear too.
// The probabilities are not kept for the backward pass: it recomputes them per head (one more
// Q·Kᵀ, about 1 % of a GPT-2 step) instead of holding [batch, heads, seq, seq] per layer
// (72 MB over GPT-2-small's 12 layers at 8 × 128 tokens, and quadratic in the length).
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
  int heads;      // packed qkv only
};
void* createAttn(TF_OpKernelConstruction* c) {
  return new AttnAttrs{attrFloat(c, "scale", 1.f), attrFloat(c, "dropout", 0.f), attrInt(c, "heads", 0)};
}

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

// Where head h of batch b keeps its rows: separate q [B, H, S, D] / k, v [B, Hkv, Kn, D]
// tensors (row stride D), or one packed projection [B·S, 3·H·D] (GPT-2's c_attn output: q, k
// and v of every head side by side in each row, row stride 3·H·D; no head split needed).
struct Layout {
  int64_t B, H, Hkv, S, Kn, D;
  bool packed;
  int64_t qStride() const { return packed ? 3 * H * D : D; }
  int64_t kvStride() const { return packed ? 3 * H * D : D; }
  // Offsets of head (b, h)'s first row, and of kv head (b, kv)'s.
  int64_t qOffset(int64_t b, int64_t h) const { return packed ? b * S * 3 * H * D + h * D : (b * H + h) * S * D; }
  int64_t kOffset(int64_t b, int64_t kv) const { return packed ? b * S * 3 * H * D + H * D + kv * D : (b * Hkv + kv) * Kn * D; }
  int64_t vOffset(int64_t b, int64_t kv) const { return packed ? b * S * 3 * H * D + 2 * H * D + kv * D : (b * Hkv + kv) * Kn * D; }
};

struct Dropout {
  uint32_t seed, threshold;
  float rate, keep;
  Dropout(uint32_t s, float r) : seed(s), threshold(dropoutThreshold(r)), rate(r), keep(1.f / (1.f - r)) {}
};

// P = softmax(scale·Q·Kᵀ + bias) of head (b, h) into P [S, Kn]; kT holds Kᵀ of its kv head.
inline void headProbs(const Layout& L, const float* qp, const float* kT, const float* bp, int64_t Sb, float scale, int64_t b, int64_t h,
                      float* P) {
  gemm(L.S, L.Kn, L.D, qp + L.qOffset(b, h), L.qStride(), kT, L.Kn, P, L.Kn, false);
  for (int64_t i = 0; i < L.S; i++) softmaxRow(P + i * L.Kn, bp + (b * Sb + (Sb == 1 ? 0 : i)) * L.Kn, P + i * L.Kn, L.Kn, scale);
}

// out [B, S, H·D] (heads merged).
void forwardHeads(const Layout& L, const float* qp, const float* kp, const float* vp, const float* bp, int64_t Sb, float scale,
                  const Dropout& drop, float* op) {
  const auto [B, H, Hkv, S, Kn, D, packed] = L;
  const int64_t groups = H / Hkv;
  const int parts = planParts(B * H, S * Kn * D * 4);
  std::vector<std::vector<float>> scratch(parts, std::vector<float>(D * Kn + S * Kn + (drop.rate > 0 ? S * Kn : 0)));
  runParts(B * H, parts, [&](int part, int64_t g0, int64_t g1) {
    float* kT = scratch[part].data();
    float* P = kT + D * Kn;
    float* dropped = P + S * Kn;
    for (int64_t g = g0; g < g1; g++) {
      const int64_t b = g / H, h = g % H, kv = h / groups;
      transpose(Kn, D, kp + L.kOffset(b, kv), L.kvStride(), kT);
      headProbs(L, qp, kT, bp, Sb, scale, b, h, P);
      const float* PV = P;
      if (drop.rate > 0) {
        for (int64_t i = 0; i < S; i++) dropRow(P + i * Kn, dropped + i * Kn, Kn, static_cast<uint64_t>(g * S + i) * Kn, drop.seed, drop.threshold, drop.keep);
        PV = dropped;
      }
      gemm(S, D, Kn, PV, Kn, vp + L.vOffset(b, kv), L.kvStride(), op + b * S * H * D + h * D, H * D, false);
    }
  });
}

// dq, dk, dv in the layout's places (for packed, all three into one [B·S, 3·H·D] tensor).
void backwardHeads(const Layout& L, const float* dop, const float* qp, const float* kp, const float* vp, const float* bp, int64_t Sb,
                   float scale, const Dropout& drop, float* dqp, float* dkp, float* dvp) {
  const auto [B, H, Hkv, S, Kn, D, packed] = L;
  const int64_t groups = H / Hkv;
  const int parts = planParts(B * Hkv, groups * S * Kn * D * 8);
  struct Scratch {
    std::vector<float> vT, kT, P, dS, dropped;
  };
  std::vector<Scratch> scratch(parts);
  for (auto& sc : scratch) {
    sc = {std::vector<float>(D * Kn), std::vector<float>(D * Kn), std::vector<float>(S * Kn), std::vector<float>(S * Kn),
          std::vector<float>(drop.rate > 0 ? S * Kn : 0)};
  }
  // One part per kv head: its dk and dv sum over the query heads of its group.
  runParts(B * Hkv, parts, [&](int part, int64_t c0, int64_t c1) {
    Scratch& sc = scratch[part];
    float *vT = sc.vT.data(), *kT = sc.kT.data(), *P = sc.P.data(), *dS = sc.dS.data(), *dropped = sc.dropped.data();
    for (int64_t c = c0; c < c1; c++) {
      const int64_t b = c / Hkv, kv = c % Hkv;
      const float* kh = kp + L.kOffset(b, kv);
      float *dkh = dkp + L.kOffset(b, kv), *dvh = dvp + L.vOffset(b, kv);
      transpose(Kn, D, vp + L.vOffset(b, kv), L.kvStride(), vT);
      transpose(Kn, D, kh, L.kvStride(), kT);
      for (int64_t gi = 0; gi < groups; gi++) {
        const int64_t h = kv * groups + gi, g = b * H + h;
        const float *qh = qp + L.qOffset(b, h), *dO = dop + b * S * H * D + h * D;
        headProbs(L, qp, kT, bp, Sb, scale, b, h, P);  // as the forward pass computed them, bit for bit
        gemm(S, Kn, D, dO, H * D, vT, Kn, dS, Kn, false);  // dP = dO·Vᵀ (w.r.t. the dropped P)
        const float* PV = P;                              // what multiplied V
        if (drop.rate > 0) {
          for (int64_t i = 0; i < S; i++) {
            const uint64_t base = static_cast<uint64_t>(g * S + i) * Kn;
            dropRow(P + i * Kn, dropped + i * Kn, Kn, base, drop.seed, drop.threshold, drop.keep);
            for (int64_t j = 0; j < Kn; j++) dS[i * Kn + j] *= dropoutScale(drop.seed, base + j, drop.threshold, drop.keep);
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
        gemm(S, D, Kn, dS, Kn, kh, L.kvStride(), dqp + L.qOffset(b, h), L.qStride(), false);           // dQ = dS·K
        gemm<true>(Kn, D, S, dS, Kn, qh, L.qStride(), dkh, L.kvStride(), gi > 0);                       // dK += dSᵀ·Q
        gemm<true>(Kn, D, S, PV, Kn, dO, H * D, dvh, L.kvStride(), gi > 0);                             // dV += P̃ᵀ·dO
      }
    }
  });
}

// (q, k, v, bias, seed) -> out [B, S, H·D]
void attentionForward(void* state, TF_OpKernelContext* ctx) {
  const auto* a = static_cast<AttnAttrs*>(state);
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *q = in.get(0), *k = in.get(1), *v = in.get(2), *bias = in.get(3), *seedT = in.get(4);
    Shapes sh;
    Output out;
    uint32_t seed = 0;
    if (!q || !k || !v || !bias || !seedT) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (seedOf(ctx, s, seedT, seed) && attentionShapes(ctx, s, q, k, v, bias, sh, "PeftLabAttention") &&
               allocate(ctx, 0, {sh.B, sh.S, sh.H * sh.D}, out, s)) {
      const Layout L{sh.B, sh.H, sh.Hkv, sh.S, sh.Kn, sh.D, false};
      forwardHeads(L, data(q), data(k), data(v), data(bias), sh.Sb, a->scale, Dropout(seed, a->dropout), out.ptr());
    }
  }
  TF_DeleteStatus(s);
}

// (dout [B, S, H·D], q, k, v, bias, seed) -> (dq like q, dk like k, dv like v)
void attentionBackward(void* state, TF_OpKernelContext* ctx) {
  const auto* a = static_cast<AttnAttrs*>(state);
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *dout = in.get(0), *q = in.get(1), *k = in.get(2), *v = in.get(3), *bias = in.get(4), *seedT = in.get(5);
    Shapes sh;
    Output dq, dk, dv;
    uint32_t seed = 0;
    if (!dout || !q || !k || !v || !bias || !seedT) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (seedOf(ctx, s, seedT, seed) && attentionShapes(ctx, s, q, k, v, bias, sh, "PeftLabAttentionGrad")) {
      if (count(dout) != count(q)) {
        fail(ctx, s, "PeftLabAttentionGrad: dout and q do not agree");
      } else if (allocate(ctx, 0, dims(q), dq, s) && allocate(ctx, 1, dims(k), dk, s) && allocate(ctx, 2, dims(k), dv, s)) {
        const Layout L{sh.B, sh.H, sh.Hkv, sh.S, sh.Kn, sh.D, false};
        backwardHeads(L, data(dout), data(q), data(k), data(v), data(bias), sh.Sb, a->scale, Dropout(seed, a->dropout), dq.ptr(), dk.ptr(),
                      dv.ptr());
      }
    }
  }
  TF_DeleteStatus(s);
}

// Packed: qkv [B·S, 3·H·D] and a bias [B, 1, S or 1, S]: B, S, D from them and the heads attr.
bool packedShapes(TF_OpKernelContext* ctx, TF_Status* s, TF_Tensor* qkv, TF_Tensor* bias, int64_t H, Layout& L, int64_t& Sb, const char* op) {
  const auto bd = dims(bias);
  const int64_t width = TF_NumDims(qkv) == 2 ? TF_Dim(qkv, 1) : 0;
  const int64_t B = bd.size() == 4 ? bd[0] : 0, S = bd.size() == 4 ? bd[3] : 0;
  const int64_t D = H > 0 ? width / (3 * H) : 0;
  Sb = bd.size() == 4 ? bd[2] : 0;
  if (H <= 0 || D == 0 || width != 3 * H * D || TF_NumDims(qkv) != 2 || B * S != TF_Dim(qkv, 0) || bd[1] != 1 || (Sb != 1 && Sb != S)) {
    fail(ctx, s, std::string(op) + ": qkv must be [batch·seq, 3·heads·dim] and the bias [batch, 1, seq or 1, seq]");
    return false;
  }
  L = {B, H, H, S, S, D, true};
  return true;
}

// Packed: (qkv [B·S, 3·H·D], bias [B, 1, S or 1, S], seed) attr heads -> out [B, S, H·D]
void packedForward(void* state, TF_OpKernelContext* ctx) {
  const auto* a = static_cast<AttnAttrs*>(state);
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *qkv = in.get(0), *bias = in.get(1), *seedT = in.get(2);
    Output out;
    Layout L{};
    int64_t Sb = 0;
    uint32_t seed = 0;
    if (!qkv || !bias || !seedT) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (seedOf(ctx, s, seedT, seed) && packedShapes(ctx, s, qkv, bias, a->heads, L, Sb, "PeftLabAttentionQkv") &&
               allocate(ctx, 0, {L.B, L.S, L.H * L.D}, out, s)) {
      const float* p = data(qkv);
      forwardHeads(L, p, p, p, data(bias), Sb, a->scale, Dropout(seed, a->dropout), out.ptr());
    }
  }
  TF_DeleteStatus(s);
}

// Packed: (dout [B, S, H·D], qkv, bias, seed) attr heads -> dqkv [B·S, 3·H·D]
void packedBackward(void* state, TF_OpKernelContext* ctx) {
  const auto* a = static_cast<AttnAttrs*>(state);
  TF_Status* s = TF_NewStatus();
  {
    Inputs in(ctx, s);
    TF_Tensor *dout = in.get(0), *qkv = in.get(1), *bias = in.get(2), *seedT = in.get(3);
    Output dqkv;
    Layout L{};
    int64_t Sb = 0;
    uint32_t seed = 0;
    if (!dout || !qkv || !bias || !seedT) {
      TF_OpKernelContext_Failure(ctx, s);
    } else if (seedOf(ctx, s, seedT, seed) && packedShapes(ctx, s, qkv, bias, a->heads, L, Sb, "PeftLabAttentionQkvGrad")) {
      if (count(dout) != L.B * L.S * L.H * L.D) {
        fail(ctx, s, "PeftLabAttentionQkvGrad: dout and qkv do not agree");
      } else if (allocate(ctx, 0, dims(qkv), dqkv, s)) {
        const float* p = data(qkv);
        float* d = dqkv.ptr();
        backwardHeads(L, data(dout), p, p, p, data(bias), Sb, a->scale, Dropout(seed, a->dropout), d, d, d);
      }
    }
  }
  TF_DeleteStatus(s);
}

void registerAll() {
  registerOp({"PeftLabAttention", {"q: float", "k: float", "v: float", "bias: float", "seed: int32"}, {"out: float"},
              {"scale: float", "dropout: float = 0"}},
             createAttn, attentionForward, deleteAttn);
  registerOp({"PeftLabAttentionGrad", {"dout: float", "q: float", "k: float", "v: float", "bias: float", "seed: int32"},
              {"dq: float", "dk: float", "dv: float"}, {"scale: float", "dropout: float = 0"}},
             createAttn, attentionBackward, deleteAttn);
  registerOp({"PeftLabAttentionQkv", {"qkv: float", "bias: float", "seed: int32"}, {"out: float"},
              {"heads: int", "scale: float", "dropout: float = 0"}},
             createAttn, packedForward, deleteAttn);
  registerOp({"PeftLabAttentionQkvGrad", {"dout: float", "qkv: float", "bias: float", "seed: int32"}, {"dqkv: float"},
              {"heads: int", "scale: float", "dropout: float = 0"}},
             createAttn, packedBackward, deleteAttn);
}
Registrar registrar(registerAll);

}  // namespace
}  // namespace peft
