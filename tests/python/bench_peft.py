"""transformers + PEFT side of clora-host's model benchmark (host/benches/model.rs).

Usage: bench_peft.py MODEL_DIR --threads N [--batch 8] [--seq 128]

Loads GPT2ForSequenceClassification with PEFT LoRA (c_attn, r 8, alpha 16, dropout 0.1)
in training mode, then for every line "step" on stdin runs one forward + cross-entropy +
backward on a fixed batch and prints the seconds it took; "quit" ends. The batch is the
same as the Rust side's: ids (b·131 + t·31) mod (vocab - 1), labels b mod 2.
"""
import argparse
import sys
import time

import torch
from peft import LoraConfig, TaskType, get_peft_model
from transformers import GPT2ForSequenceClassification


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    base = GPT2ForSequenceClassification.from_pretrained(args.model_dir)
    base.config.pad_token_id = base.config.eos_token_id
    config = LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, lora_dropout=0.1,
                        target_modules=["c_attn"])
    model = get_peft_model(base, config)
    model.train()
    vocab = base.config.vocab_size
    ids = torch.tensor([[(b * 131 + t * 31) % (vocab - 1) for t in range(args.seq)]
                        for b in range(args.batch)])
    mask = torch.ones_like(ids)
    labels = torch.tensor([b % 2 for b in range(args.batch)])
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "step":
            break
        start = time.perf_counter()
        logits = model(input_ids=ids, attention_mask=mask).logits
        loss = torch.nn.functional.cross_entropy(logits, labels)
        loss.backward()
        model.zero_grad(set_to_none=True)
        print(time.perf_counter() - start, flush=True)


if __name__ == "__main__":
    main()
