"""FLOP accounting for the end-to-end benchmark, and libtorch's measured fp32 GEMM peak.

Training FLOPs of one batch of B rows padded to T tokens (n = B·T tokens), for GPT-2
with L layers of width d, LoRA rank r on `c_attn` only, frozen base weights:

    forward, frozen projections   2·n·12d²  per layer   (c_attn 3d², c_proj d², c_fc 4d², mlp.c_proj 4d²)
    backward, input gradients     2·n·12d²  per layer,  minus 2·n·3d² in layer 0
                                  (the embeddings are frozen, so nothing needs the gradient
                                  of layer 0's c_attn input; no weight gradients at all)
    LoRA on c_attn                6·n·r·(d + 3d) per layer  (forward 2·, backward 4·)
    attention scores and mixing   12·B·T²·d per layer  (QKᵀ and A·V, forward 4·B·T²·d,
                                  backward twice that; the full T×T, as the kernels compute it)

    F = L·(48·n·d² + 24·n·r·d + 12·B·T²·d) − 6·n·d²

Layer norms, GELU, softmax, dropout, the score head and the optimizer are left out (a
few per cent at most). Padded positions count: this measures how busy the hardware is,
not useful work — the samples/s columns show that.

    python flops.py --peak --threads N     prints the GEMM peak in GFLOP/s
"""
import argparse
import os
import subprocess
import sys

RANK = 8


def training_flops(config, shapes):
    """FLOPs of the batches `shapes` ([rows, seq_len] each) for a model `config`
    (n_layer, n_embd)."""
    L, d = config["n_layer"], config["n_embd"]
    total = 0
    for rows, seq in shapes:
        n = rows * seq
        total += L * (48 * n * d * d + 24 * n * RANK * d + 12 * rows * seq * seq * d) - 6 * n * d * d
    return total


def measure_peak(threads, size=4096, repeats=5):
    import time

    import torch

    torch.set_num_threads(threads)
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    torch.mm(a, b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def gemm_peak_gflops(threads):
    """The peak measured in a fresh process (so the caller's own threads don't interfere)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, __file__, "--peak", "--threads", str(threads)], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--peak", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    if args.peak:
        print(f"{measure_peak(args.threads):.3f}")
