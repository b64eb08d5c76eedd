"""torch.optim.AdamW reference for clora-host's hand-written AdamW.

Usage: adamw_reference.py OUT_SAFETENSORS [--steps 5] [--lr 0.01] [--weight-decay 0.1]

Two seeded parameters ("w" (3, 4), "b" (5,)) take --steps AdamW steps with seeded
gradients. Writes `init.<p>`, `grad.<k>.<p>` (the gradient of step k, from 1),
`final.<p>`, and the final state `<p>.step`, `<p>.exp_avg`, `<p>.exp_avg_sq`.
"""
import argparse

import torch
from safetensors.torch import save_file


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    args = ap.parse_args()
    gen = torch.Generator().manual_seed(0)
    params = {"w": torch.randn(3, 4, generator=gen), "b": torch.randn(5, generator=gen)}
    out = {f"init.{n}": p.clone() for n, p in params.items()}
    for p in params.values():
        p.requires_grad_(True)
    opt = torch.optim.AdamW(list(params.values()), lr=args.lr, weight_decay=args.weight_decay)
    for k in range(1, args.steps + 1):
        for n, p in params.items():
            # Mixed scales so that eps and bias correction matter.
            p.grad = torch.randn(p.shape, generator=gen) * (10.0 ** -(k % 4))
            out[f"grad.{k}.{n}"] = p.grad.clone()
        opt.step()
    for n, p in params.items():
        out[f"final.{n}"] = p.detach().clone()
        state = opt.state[p]
        out[f"{n}.step"] = state["step"].reshape(()).float()
        out[f"{n}.exp_avg"] = state["exp_avg"].clone()
        out[f"{n}.exp_avg_sq"] = state["exp_avg_sq"].clone()
    save_file({k: v.contiguous() for k, v in out.items()}, args.out)


if __name__ == "__main__":
    main()
