"""The Python baseline of clora-host's end-to-end benchmark (BENCHMARKS.md, "End to end").

What the original project did, on the Hugging Face stack: `GPT2ForSequenceClassification`
+ PEFT LoRA (r 8, alpha 16, `c_attn`, dropout 0.1), trained by `transformers.Trainer`
with `DataCollatorWithPadding`, AdamW (Trainer's default optimizer), lr 2e-4 with the
linear schedule and max_grad_norm 1.0. The method variants:

  lora   plain LoRA;
  clora  the CLoRA penalty added in `Trainer.compute_loss`: per LoRA layer
         ‖A·P_in‖²_F + ‖Bᵀ·P_out‖²_F with fixed orthonormal P (QR of a seeded Gaussian,
         k = 128 columns), mean over layers, times λ = 0.1 (plugins/clora.wasm's math);
  pca    the PCA gradient projection in `Trainer.training_step`: after backward, each
         LoRA gradient G is replaced by its rank-n SVD reconstruction U_n·S_n·V_nᵀ,
         n = 2 (plugins/pca-grad.wasm's math).

Data: CommonsenseQA train (original JSONL) turned into binary classification exactly as
plugins/builtin/commonsense-qa does it — "Question: {q} Answer: {a}", the gold answer →
1, then one wrong answer drawn by the plugin's per-row SplitMix64 stream (`RowRng(seed,
row)`) → 0 — loaded and mapped with `datasets` (cached under --cache like any HF
project), tokenized by GPT2TokenizerFast with truncation at 256.

Batch order (--sampler): `random` is Trainer's default RandomSampler, `group_by_length`
Trainer's LengthGroupedSampler (`train_sampling_strategy`), `host` replays clora-host's
own unbucketed epoch plan (SplitMix64 Fisher–Yates of `derive(seed, epoch)`, see
host/src/data/batch.rs) so both systems see the very same batches.

Instrumentation only: a callback stamps the end of every optimizer step and prints
"clora-e2e: step N" (the runner timestamps those lines, as it does the host's "step N"
log lines), and the collator wrapper records each batch's shape. Everything else is
stock Trainer.

Usage: baseline_hf.py --model DIR --tokenizer DIR --train-jsonl FILE --cache DIR
                      --method lora|clora|pca --max-steps N --threads N --output FILE.json
"""
import argparse
import json
import os
import resource
import sys
import time

T_START = time.perf_counter()
import torch  # noqa: E402
import datasets  # noqa: E402
import peft  # noqa: E402
import transformers  # noqa: E402
from peft import LoraConfig, TaskType, get_peft_model  # noqa: E402
from transformers import (  # noqa: E402
    DataCollatorWithPadding,
    GPT2ForSequenceClassification,
    GPT2TokenizerFast,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

T_IMPORTED = time.perf_counter()
TEMPLATE = "Question: {question} Answer: {answer}"
MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


class SplitMix64:
    """host/src/data/rng.rs and plugins/sdk/src/data/rng.rs (`RowRng`), bit for bit."""

    def __init__(self, state):
        self.state = state & MASK64

    @classmethod
    def derive(cls, seed, stream):
        return cls(mix64(seed) ^ mix64((stream + GOLDEN) & MASK64))

    def next_u64(self):
        self.state = (self.state + GOLDEN) & MASK64
        return mix64(self.state)

    def below(self, n):
        return (self.next_u64() * n) >> 64

    def pick_other(self, n, exclude):
        i = self.below(n - 1)
        return i + 1 if i >= exclude else i

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def to_binary(batch, indices, seed):
    """plugins/builtin/commonsense-qa: (q + gold, 1), (q + RowRng-drawn wrong answer, 0)."""
    texts, labels = [], []
    for question, key, row in zip(batch["question"], batch["answerKey"], indices):
        choices = question["choices"]
        gold = next(i for i, c in enumerate(choices) if c["label"] == key.strip())
        wrong = SplitMix64.derive(seed, row).pick_other(len(choices), gold)
        for index, label in ((gold, 1), (wrong, 0)):
            texts.append(TEMPLATE.format(question=question["stem"], answer=choices[index]["text"]))
            labels.append(label)
    return {"text": texts, "label": labels}


def load_train(args, tokenizer):
    raw = datasets.load_dataset("json", data_files=args.train_jsonl, split="train", cache_dir=args.cache)
    examples = raw.map(
        to_binary, batched=True, with_indices=True, remove_columns=raw.column_names,
        fn_kwargs={"seed": args.seed},
    )
    return examples.map(
        lambda b: tokenizer(b["text"], truncation=True, max_length=args.max_length),
        batched=True, remove_columns=["text"],
    )


def orthonormal(generator, dim, k):
    q, _ = torch.linalg.qr(torch.randn(dim, min(k, dim), generator=generator))
    return q


class HostOrderSampler(torch.utils.data.Sampler):
    """clora-host's unbucketed plan: epoch e is the Fisher–Yates shuffle of 0..n under
    SplitMix64.derive(seed, e), cut into consecutive batches by the DataLoader."""

    def __init__(self, n, seed):
        self.n, self.seed, self.epoch = n, seed, 0

    def __len__(self):
        return self.n

    def __iter__(self):
        order = list(range(self.n))
        SplitMix64.derive(self.seed, self.epoch).shuffle(order)
        self.epoch += 1
        return iter(order)


class BenchTrainer(Trainer):
    def __init__(self, *a, method, lora_layers, sampler, clora_lambda, clora_k, pca_components, **kw):
        super().__init__(*a, **kw)
        self.method, self.lora_layers, self.sampler_kind = method, lora_layers, sampler
        self.clora_lambda, self.pca_components = clora_lambda, pca_components
        if method == "clora":
            gen = torch.Generator().manual_seed(0)
            self.projectors = [
                (orthonormal(gen, a.shape[1], clora_k), orthonormal(gen, b.shape[0], clora_k))
                for a, b in lora_layers
            ]

    def _get_train_sampler(self, train_dataset=None):
        if self.sampler_kind == "host":
            return HostOrderSampler(len(train_dataset or self.train_dataset), self.args.seed)
        return super()._get_train_sampler(train_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        if self.method == "clora":
            penalty = sum(
                (a @ p_in).pow(2).sum() + (b.t() @ p_out).pow(2).sum()
                for (a, b), (p_in, p_out) in zip(self.lora_layers, self.projectors)
            ) / len(self.lora_layers)
            loss = loss + self.clora_lambda * penalty
        return (loss, outputs) if return_outputs else loss

    def training_step(self, model, inputs, num_items_in_batch=None):
        loss = super().training_step(model, inputs, num_items_in_batch)
        if self.method == "pca":
            n = self.pca_components
            with torch.no_grad():
                for a, b in self.lora_layers:
                    for g in (a.grad, b.grad):
                        u, s, vh = torch.linalg.svd(g, full_matrices=False)
                        g.copy_((u[:, :n] * s[:n]) @ vh[:n])
        return loss


class StepClock(TrainerCallback):
    def __init__(self):
        self.begin = None
        self.ends = []

    def on_train_begin(self, args, state, control, **kw):
        self.begin = time.perf_counter()

    def on_step_end(self, args, state, control, **kw):
        self.ends.append(time.perf_counter())
        print(f"clora-e2e: step {state.global_step}", flush=True)


class ShapeRecorder:
    def __init__(self, collator):
        self.collator, self.shapes = collator, []

    def __call__(self, features):
        batch = self.collator(features)
        self.shapes.append(list(batch["input_ids"].shape))
        return batch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--train-jsonl", required=True)
    ap.add_argument("--cache", required=True, help="datasets cache directory")
    ap.add_argument("--method", choices=["lora", "clora", "pca"], default="lora")
    ap.add_argument("--sampler", choices=["random", "group_by_length", "host"], default="random")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-steps", type=int, required=True)
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--log-every", type=int, default=1)
    ap.add_argument("--work", default=None, help="Trainer output_dir (nothing is saved)")
    ap.add_argument("--output", required=True)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()

    t0 = time.perf_counter()
    tokenizer = GPT2TokenizerFast.from_pretrained(args.tokenizer)
    tokenizer.pad_token = tokenizer.eos_token
    train = load_train(args, tokenizer)
    t_data = time.perf_counter()

    base = GPT2ForSequenceClassification.from_pretrained(args.model, num_labels=2)
    base.config.pad_token_id = tokenizer.pad_token_id
    lora = LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, lora_dropout=0.1, target_modules=["c_attn"])
    model = get_peft_model(base, lora)
    layers = [
        (m.lora_A["default"].weight, m.lora_B["default"].weight)
        for _, m in model.named_modules()
        if hasattr(m, "lora_A") and "default" in getattr(m, "lora_A", {})
    ]
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    t_model = time.perf_counter()

    training_args = TrainingArguments(
        output_dir=args.work or os.path.join(os.path.dirname(os.path.abspath(args.output)), "hf-trainer"),
        per_device_train_batch_size=args.batch_size,
        learning_rate=2e-4,
        lr_scheduler_type="linear",
        weight_decay=0.0,
        max_grad_norm=1.0,
        max_steps=args.max_steps,
        logging_steps=args.log_every,
        save_strategy="no",
        eval_strategy="no",
        report_to="none",
        use_cpu=True,
        dataloader_num_workers=0,
        dataloader_pin_memory=False,
        disable_tqdm=True,
        seed=args.seed,
        train_sampling_strategy="group_by_length" if args.sampler == "group_by_length" else "random",
    )
    clock = StepClock()
    collator = ShapeRecorder(DataCollatorWithPadding(tokenizer))
    trainer = BenchTrainer(
        model=model, args=training_args, train_dataset=train, data_collator=collator,
        processing_class=tokenizer, callbacks=[clock],
        method=args.method, lora_layers=layers, sampler=args.sampler,
        clora_lambda=0.1, clora_k=128, pca_components=2,
    )
    t_trainer = time.perf_counter()
    trainer.train()
    t_end = time.perf_counter()

    lengths = sorted(len(ids) for ids in train["input_ids"])
    begin = clock.begin
    step_s = [end - start for start, end in zip([begin] + clock.ends[:-1], clock.ends)]
    result = {
        "system": "hf",
        "method": args.method,
        "sampler": args.sampler,
        "threads": torch.get_num_threads(),
        "optimizer": training_args.optim if isinstance(training_args.optim, str) else training_args.optim.value,
        "attn_implementation": base.config._attn_implementation,
        "trainable_parameters": trainable,
        "examples": len(train),
        "tokens": sum(lengths),
        "length_p50_p95_max": [lengths[len(lengths) // 2], lengths[int(0.95 * (len(lengths) - 1))], lengths[-1]],
        "imports_s": T_IMPORTED - T_START,
        "data_s": t_data - t0,
        "model_s": t_model - t_data,
        "trainer_init_s": t_trainer - t_model,
        "setup_s": begin - T_START,
        "train_s": t_end - begin,
        "step_s": step_s,
        "batch_shapes": collator.shapes[: len(step_s)],
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "versions": {
            "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__, "datasets": datasets.__version__,
            "python": sys.version.split()[0],
        },
    }
    with open(args.output, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
