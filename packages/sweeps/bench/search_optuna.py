"""Optuna's TPESampler and RandomSampler on the search benchmark's problems (bench/problems.ts).

Reads {"problems": [...], "seeds": [...], "maxTrials": N, "startupTrials": S, "candidates": C}
as JSON on stdin; writes {sampler: {problem: [[observed, true value] per trial] per seed}} on
stdout. The space is define-by-run with the same conditional structure as our sweep spec: the
method first, then that method's parameters, each under its own name ("lora:lr"), so Optuna's
estimators, like ours, see a parameter only in the trials that have it. Noise: the same model
(value + noise * N(0, 1)), from numpy's generator seeded per study.
"""
import json
import math
import sys

import numpy as np
import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def key(v):
    return v if isinstance(v, str) else ("true" if v is True else "false" if v is False else str(v))


def true_value(m, values):
    v = m["base"]
    for t in m["terms"]:
        if "choice" in t:
            if t["choice"] in values:
                v += t["bonus"].get(key(values[t["choice"]]), 0)
        elif "ratio" in t:
            a, b = t["ratio"]
            z = (math.log10(values[a] / values[b]) - math.log10(t["at"])) / t["width"]
            v += t["weight"] * math.exp(-0.5 * z * z)
        else:
            f = math.log10 if t.get("log") else (lambda x: x)
            z = (f(values[t["peak"]]) - f(t["at"])) / t["width"]
            v += t["weight"] * math.exp(-0.5 * z * z)
    return v


def suggest(trial, m):
    values = {}
    for p in m["params"]:
        w = p.get("when")
        if w and values.get(w["param"]) != w["equals"]:
            continue
        name = f"{m['method']}:{p['name']}"
        s = p["space"]
        if "choices" in s:
            # string lists as one comma-joined choice (Optuna's choices must be scalars)
            choices = [",".join(c) if isinstance(c, list) else c for c in s["choices"]]
            values[p["name"]] = trial.suggest_categorical(name, choices)
        elif s.get("type") == "int":
            values[p["name"]] = trial.suggest_int(name, s["min"], s["max"], step=s.get("step", 1), log=s.get("scale") == "log")
        else:
            values[p["name"]] = trial.suggest_float(name, s["min"], s["max"], step=s.get("step"), log=s.get("scale") == "log")
    return values


def run(problem, sampler, seed, max_trials):
    rng = np.random.default_rng(seed + 1_000_003)
    methods = {m["method"]: m for m in problem["methods"]}
    study = optuna.create_study(direction=problem["direction"], sampler=sampler)
    out = []

    def objective(trial):
        m = methods[trial.suggest_categorical("method", list(methods))]
        tv = true_value(m, suggest(trial, m))
        observed = tv + problem["noise"] * rng.standard_normal()
        out.append([observed, tv])
        return observed

    study.optimize(objective, n_trials=max_trials)
    return out


def main():
    cfg = json.load(sys.stdin)
    samplers = {
        # independent sampling, as ours
        "optuna-tpe": lambda s: optuna.samplers.TPESampler(seed=s, multivariate=False, n_startup_trials=cfg["startupTrials"], n_ei_candidates=cfg["candidates"]),
        # Optuna 5's default for one objective: multivariate over the parameters every trial has
        "optuna-tpe-multivariate": lambda s: optuna.samplers.TPESampler(seed=s, n_startup_trials=cfg["startupTrials"], n_ei_candidates=cfg["candidates"]),
        "optuna-random": lambda s: optuna.samplers.RandomSampler(seed=s),
    }
    result = {}
    for name, make in samplers.items():
        result[name] = {p["name"]: [run(p, make(s), s, cfg["maxTrials"]) for s in cfg["seeds"]] for p in cfg["problems"]}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
