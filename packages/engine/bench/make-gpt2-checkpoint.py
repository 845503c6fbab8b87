"""Writes a GPT-2-small-shaped causal-LM checkpoint (random weights, seed 0) for bench:engine --model.

The real GPT-2 (124M) config — vocab 50257, n_positions 1024, n_embd 768, 12 layers, 12 heads,
GELU-tanh, dropout 0.1 — with transformers' own initialisation, saved as config.json +
model.safetensors. No tokenizer (bench:engine feeds random token ids) and no network access.

    .venv-ref/bin/python packages/engine/bench/make-gpt2-checkpoint.py /tmp/gpt2-124m
    npm run bench:engine -- --model /tmp/gpt2-124m --method lora --batch 8 --seq 128 --baseline --json

Keep the directory out of the repository (it is ~500 MB).
"""
import argparse, json, os
import torch
from transformers import GPT2Config, GPT2LMHeadModel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    a = ap.parse_args()
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
                        activation_function="gelu_new", resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1,
                        bos_token_id=50256, eos_token_id=50256, architectures=["GPT2LMHeadModel"])
    model = GPT2LMHeadModel(config)
    os.makedirs(a.out_dir, exist_ok=True)
    model.save_pretrained(a.out_dir, safe_serialization=True)
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"dir": os.path.abspath(a.out_dir), "params": params, "files": sorted(os.listdir(a.out_dir))}))


if __name__ == "__main__":
    main()
