"""Reference numbers from transformers + PEFT for clora-host's model parity tests.

Usage:
  peft_parity.py init-adapter MODEL_DIR OUT_DIR --targets c_attn,mlp.c_proj --r 4 --alpha 8
      [--dropout 0.1] [--rslora] [--seed 1]
    Builds PEFT's LoRA (task_type SEQ_CLS) on GPT2ForSequenceClassification, sets every
    lora_B (normally zero) and the score head to seeded N(0, 0.1²) values so gradients are
    non-trivial, and saves it with save_pretrained (adapter_config.json +
    adapter_model.safetensors).
  peft_parity.py run MODEL_DIR ADAPTER_DIR INPUTS_JSON OUT_SAFETENSORS
    Loads the adapter with PeftModel.from_pretrained (dropout off: eval mode) and, for the
    batch in INPUTS_JSON ({"input_ids", "attention_mask", "labels", "lr", "weight_decay"}),
    writes: `logits`; `grad.<key>` (cross-entropy gradients of every trainable tensor, keys
    as in adapter_model.safetensors); `after.<key>` (values after one torch.optim.AdamW
    step); `F.<module>.sum` / `F.<module>.count` (Σ‖ΔW·x‖/‖x‖ over real positions of
    each LoRA layer's input x, and the number of positions).
"""
import argparse
import json

import torch
from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from safetensors.torch import save_file
from transformers import GPT2ForSequenceClassification


def canonical(name):
    """A named_parameters() name as PEFT writes it to adapter_model.safetensors."""
    return (name.replace(".lora_A.default.weight", ".lora_A.weight")
                .replace(".lora_B.default.weight", ".lora_B.weight")
                .replace(".modules_to_save.default.weight", ".weight"))


def init_adapter(args):
    base = GPT2ForSequenceClassification.from_pretrained(args.model_dir)
    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=args.r, lora_alpha=args.alpha,
                        lora_dropout=args.dropout, target_modules=args.targets.split(","),
                        use_rslora=args.rslora)
    model = get_peft_model(base, config)
    gen = torch.Generator().manual_seed(args.seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.requires_grad and ("lora_B" in name or "score" in name):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
    model.save_pretrained(args.out_dir)


def run(args):
    with open(args.inputs) as f:
        inputs = json.load(f)
    base = GPT2ForSequenceClassification.from_pretrained(args.model_dir)
    model = PeftModel.from_pretrained(base, args.adapter_dir, is_trainable=True)
    model.eval()
    ids = torch.tensor(inputs["input_ids"], dtype=torch.long)
    mask = torch.tensor(inputs["attention_mask"], dtype=torch.long)
    labels = torch.tensor(inputs["labels"], dtype=torch.long)
    out = {}

    # Output change: hook every LoRA layer's input.
    stats, hooks = {}, []
    for name, module in model.named_modules():
        if hasattr(module, "lora_A") and "default" in getattr(module, "lora_A", {}):
            short = name[len("base_model.model."):]

            def hook(mod, inp, short=short):
                x = inp[0].detach()
                delta = mod.get_delta_weight("default")  # (in, out) for fan_in_fan_out
                ratio = (x @ delta).norm(dim=-1) / x.norm(dim=-1).clamp_min(1e-12)
                real = mask.to(torch.bool)
                stats[short] = (ratio[real].double().sum(), real.sum())

            hooks.append(module.register_forward_pre_hook(hook))

    logits = model(input_ids=ids, attention_mask=mask).logits
    for h in hooks:
        h.remove()
    out["logits"] = logits.detach().clone()
    for short, (total, count) in stats.items():
        out[f"F.{short}.sum"] = total.reshape(1)
        out[f"F.{short}.count"] = count.reshape(1).double()

    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    trainable = [(canonical(n), p) for n, p in model.named_parameters() if p.requires_grad]
    for key, p in trainable:
        out[f"grad.{key}"] = p.grad.detach().clone()
    opt = torch.optim.AdamW([p for _, p in trainable], lr=inputs["lr"],
                            weight_decay=inputs["weight_decay"])
    opt.step()
    for key, p in trainable:
        out[f"after.{key}"] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in out.items()}, args.out)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("init-adapter")
    a.add_argument("model_dir")
    a.add_argument("out_dir")
    a.add_argument("--targets", default="c_attn")
    a.add_argument("--r", type=int, default=8)
    a.add_argument("--alpha", type=float, default=16)
    a.add_argument("--dropout", type=float, default=0.1)
    a.add_argument("--rslora", action="store_true")
    a.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("run")
    r.add_argument("model_dir")
    r.add_argument("adapter_dir")
    r.add_argument("inputs")
    r.add_argument("out")
    args = ap.parse_args()
    init_adapter(args) if args.cmd == "init-adapter" else run(args)


if __name__ == "__main__":
    main()
