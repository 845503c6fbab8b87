"""PyTorch reference step time for bench:engine's ref-small / ref-large (ENVIRONMENT.md's table).

The same GPT-2-like pre-LN decoder (GELU-tanh, vocab 256, plain Adam, dropout 0), median ms
of 20 training steps after 3 warm-up, torch.set_num_threads(2). Run it beside
`npm run bench:engine -- --config … --method full --json` to compare on the same machine:

    python3 -m venv .venv-ref && .venv-ref/bin/pip install torch   # the CPU wheel is in pip's local wheel dir here
    .venv-ref/bin/python packages/engine/bench/pytorch_reference.py --config ref-small
"""
import argparse, json, math, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    "ref-small": dict(d=128, layers=2, heads=4, ffn=512, seq=64, batch=16),
    "ref-large": dict(d=256, layers=4, heads=4, ffn=1024, seq=128, batch=16),
}


class Block(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(att.transpose(1, 2).reshape(b, t, d))
        return x + self.out(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Decoder(nn.Module):
    def __init__(self, d, layers, heads, ffn, seq, vocab=256):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(seq, d)
        self.blocks = nn.ModuleList(Block(d, heads, ffn) for _ in range(layers))
        self.ln = nn.LayerNorm(d)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for blk in self.blocks:
            x = blk(x)
        return self.ln(x) @ self.wte.weight.T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="ref-small", choices=CONFIGS)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    c = CONFIGS[a.config]
    model = Decoder(c["d"], c["layers"], c["heads"], c["ffn"], c["seq"])
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    ids = torch.randint(0, 256, (c["batch"], c["seq"]))
    targets = torch.randint(0, 256, (c["batch"] * c["seq"],))
    times = []
    for i in range(a.steps + a.warmup):
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(ids).view(-1, 256), targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"config": a.config, "framework": f"pytorch {torch.__version__}", "threads": a.threads,
                      "msPerStep": round(statistics.median(times), 2)}))


if __name__ == "__main__":
    main()
