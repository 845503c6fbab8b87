"""Writes sliding-window.expected.json: transformers' logits for mistral-tiny and qwen2-tiny with a
sliding window shorter than the text (the fixtures' own windows are longer than their texts).

    .venv-ref/bin/python packages/engine/test-fixtures/make-sliding-window-reference.py

mistral: sliding_window 8 on every layer. qwen2: use_sliding_window, sliding_window 8,
max_window_layers 1 (layer 0 full attention, layer 1 sliding), as Qwen2Config derives layer_types.
Eager attention, float32, one text (the fixtures' longest), no padding.
"""
import json
import os
import sys

import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = {
    "mistral-tiny": {"sliding_window": 8},
    "qwen2-tiny": {"use_sliding_window": True, "sliding_window": 8, "max_window_layers": 1, "layer_types": None},
}

out = {"transformers": transformers.__version__, "models": {}}
for name, overrides in CASES.items():
    d = os.path.join(HERE, name)
    raw = json.load(open(os.path.join(d, "config.json")))
    raw.update(overrides)
    raw = {k: v for k, v in raw.items() if v is not None or k not in overrides}
    config = transformers.AutoConfig.for_model(**raw)
    model = transformers.AutoModelForCausalLM.from_pretrained(d, config=config, dtype=torch.float32, attn_implementation="eager").eval()
    expected = json.load(open(os.path.join(HERE, f"{name}.expected.json")))
    case = max(expected["cases"], key=lambda c: len(c["input_ids"]))
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([case["input_ids"]])).logits[0]
    out["models"][name] = {
        "overrides": {k: v for k, v in overrides.items() if v is not None},
        "layer_types": list(config.layer_types) if getattr(config, "layer_types", None) else None,
        "input_ids": case["input_ids"],
        "logits": logits.tolist(),
    }
json.dump(out, open(os.path.join(HERE, "sliding-window.expected.json"), "w"))
print("wrote", os.path.join(HERE, "sliding-window.expected.json"), file=sys.stderr)
