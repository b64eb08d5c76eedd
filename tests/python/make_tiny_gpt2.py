"""Writes a randomly initialised GPT-2 in Hugging Face layout for clora-host's tests.

Usage: make_tiny_gpt2.py OUT_DIR [--layout classifier|hub|pickle] [--seed N]
       [--n-layer 2 --n-head 2 --n-embd 32 --n-positions 64 --vocab-size 257]

  classifier  GPT2ForSequenceClassification.save_pretrained: keys `transformer.h.0...`
              plus `score.weight` (what a fine-tuned classifier checkpoint looks like).
  hub         the Hub's `gpt2` layout: keys without the `transformer.` prefix, with the
              old `h.{i}.attn.bias` / `attn.masked_bias` buffers, no score head.
  pickle      only `pytorch_model.bin` (a torch.save'd state dict), no safetensors.

The same --seed gives the same transformer weights in every layout. The config sets
pad_token_id = eos_token_id = vocab_size - 1 (GPT-2 pads with <|endoftext|>).
"""
import argparse
import os

import torch
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2ForSequenceClassification


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layout", choices=["classifier", "hub", "pickle"], default="classifier")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-layer", type=int, default=2)
    ap.add_argument("--n-head", type=int, default=2)
    ap.add_argument("--n-embd", type=int, default=32)
    ap.add_argument("--n-positions", type=int, default=64)
    ap.add_argument("--vocab-size", type=int, default=257)
    args = ap.parse_args()

    eos = args.vocab_size - 1
    config = GPT2Config(
        vocab_size=args.vocab_size, n_positions=args.n_positions, n_embd=args.n_embd,
        n_layer=args.n_layer, n_head=args.n_head, num_labels=2,
        bos_token_id=eos, eos_token_id=eos, pad_token_id=eos,
    )
    torch.manual_seed(args.seed)
    model = GPT2ForSequenceClassification(config).eval()
    os.makedirs(args.out, exist_ok=True)
    if args.layout == "classifier":
        model.save_pretrained(args.out)
        return
    config.architectures = ["GPT2LMHeadModel"]
    config.save_pretrained(args.out)
    state = {k[len("transformer."):]: v.clone().contiguous()
             for k, v in model.state_dict().items() if k.startswith("transformer.")}
    if args.layout == "hub":
        n = args.n_positions
        for i in range(args.n_layer):
            state[f"h.{i}.attn.bias"] = torch.tril(torch.ones(n, n)).view(1, 1, n, n)
            state[f"h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
        save_file(state, os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    else:
        torch.save(state, os.path.join(args.out, "pytorch_model.bin"))


if __name__ == "__main__":
    main()
