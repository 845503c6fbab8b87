"""PyTorch reference step time for bench:engine: the ref-small / ref-large decoders of ENVIRONMENT.md's
table, or (--model DIR) a local Hugging Face causal-LM checkpoint.

--config: the same GPT-2-like pre-LN decoder as bench:engine's (GELU-tanh, vocab 256, plain Adam,
dropout 0), full fine-tuning or (--method lora) peft LoRA r 8, alpha 16 on its fused qkv linear. --model DIR: AutoModelForCausalLM.from_pretrained(DIR) in float32
(train mode, the checkpoint's dropout, transformers' default attention), AdamW (lr 1e-4, weight
decay 0.01), full fine-tuning or (--method lora) peft LoRA r 8, alpha 16, dropout 0 on
--lora-targets (default c_attn, GPT-2's fused QKV, as bench:engine). Random token ids within the
vocab; median ms of --steps training steps after --warmup, torch.set_num_threads(--threads,
default 2). Prints one JSON line with msPerStep and peakRssBytes (this process's ru_maxrss, KiB on
Linux, in bytes; loading included).
Run it beside `npm run bench:engine -- … --json` to compare on the same machine (--baseline does):

    python3 -m venv .venv-ref && .venv-ref/bin/pip install torch   # the CPU wheel is in pip's local wheel dir here
    .venv-ref/bin/python packages/engine/bench/pytorch_reference.py --config ref-small
    .venv-ref/bin/python packages/engine/bench/pytorch_reference.py --model /tmp/gpt2-124m --method lora --batch 8 --seq 128
"""
import argparse, json, math, resource, statistics, time
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


def load_checkpoint(a):
    """(model, loss(ids), vocab, trainable params) for a local Hugging Face causal-LM checkpoint."""
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32)
    model.config.use_cache = False
    if a.method == "lora":
        from peft import LoraConfig, get_peft_model
        targets = a.lora_targets.split(",")
        model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=targets,
                                                 fan_in_fan_out=model.config.model_type == "gpt2"))
    model.train()
    loss = lambda ids: model(input_ids=ids, labels=ids, use_cache=False).loss
    return model, loss, model.config.vocab_size, [p for p in model.parameters() if p.requires_grad]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="ref-small", choices=CONFIGS)
    ap.add_argument("--model", help="a local Hugging Face causal-LM checkpoint directory (instead of --config)")
    ap.add_argument("--method", default="full", choices=["full", "lora"])
    ap.add_argument("--lora-targets", default="c_attn", help="comma-separated module names for --method lora")
    ap.add_argument("--batch", type=int, help="default: the config's, or 8 with --model")
    ap.add_argument("--seq", type=int, help="default: the config's, or 128 with --model")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    if a.model:
        batch, seq = a.batch or 8, a.seq or 128
        model, loss_of, vocab, params = load_checkpoint(a)
        opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)
        ids = torch.randint(0, vocab, (batch, seq))
        step_loss = lambda: loss_of(ids)
        what = {"model": a.model, "modelType": model.config.model_type}
    else:
        c = CONFIGS[a.config]
        batch, seq = a.batch or c["batch"], a.seq or c["seq"]
        model = Decoder(c["d"], c["layers"], c["heads"], c["ffn"], seq)
        if a.method == "lora":
            # peft LoRA r 8, alpha 16 on the fused QKV linear (as bench:engine's c_attn); only the adapters train.
            from peft import LoraConfig, inject_adapter_in_model
            model = inject_adapter_in_model(LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["qkv"]), model)
            for n, p in model.named_parameters():
                p.requires_grad = "lora_" in n
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.Adam(params, lr=1e-4)
        ids = torch.randint(0, 256, (batch, seq))
        targets = torch.randint(0, 256, (batch * seq,))
        step_loss = lambda: F.cross_entropy(model(ids).view(-1, 256), targets)
        what = {"config": a.config}
    times = []
    for i in range(a.steps + a.warmup):
        t0 = time.perf_counter()
        loss = step_loss()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss.item()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({**what, "method": a.method, "batch": batch, "seq": seq, "framework": f"pytorch {torch.__version__}",
                      "threads": a.threads, "msPerStep": round(statistics.median(times), 2),
                      "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      "trainableParams": sum(p.numel() for p in params)}))


if __name__ == "__main__":
    main()
