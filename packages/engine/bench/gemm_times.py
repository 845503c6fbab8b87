"""Times, in PyTorch, the matrix products one of our training steps runs (for step-profile --gemm).

Reads a JSON list of {"a": shape, "b": shape, "transposeA": bool, "transposeB": bool} on stdin
(the BatchMatMul / _FusedMatMul kernels tf.profile saw in one step) and prints
{"msTotal": …}: the sum over products of the median of 10 timed runs after 2 warm-up,
torch.set_num_threads(2). Same shapes, same transposes: only the GEMM library differs.
"""
import json, statistics, sys, time
import torch


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    products = json.load(sys.stdin)
    total = 0.0
    for p in products:
        a, b = torch.randn(*p["a"]), torch.randn(*p["b"])
        f = lambda: (a.transpose(-1, -2) if p["transposeA"] else a) @ (b.transpose(-1, -2) if p["transposeB"] else b)
        for _ in range(2):
            f()
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            f()
            times.append((time.perf_counter() - t0) * 1000)
        total += statistics.median(times)
    print(json.dumps({"framework": f"pytorch {torch.__version__}", "products": len(products), "msTotal": round(total, 2)}))


if __name__ == "__main__":
    main()
