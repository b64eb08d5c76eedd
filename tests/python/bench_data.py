"""The Python baseline of clora-host's data benchmark (BENCHMARKS.md, "Data").

Does what `clora-host data prepare --split train` does for CommonsenseQA train, the usual
Hugging Face way: `datasets.load_dataset("json")`, a batched `map` that turns each
question into (question + gold answer, 1) and (question + one wrong answer drawn from a
per-row seeded generator, 0) with the template "Question: {q} Answer: {a}", and a batched
`map` with GPT2TokenizerFast (truncation at 256). `datasets` caches every step as Arrow
files under --cache; a second run with the same --cache is the warm load.

Usage: python bench_data.py TRAIN_JSONL TOKENIZER_DIR --cache DIR
Prints one JSON object with the times in seconds (imports are timed separately).
"""
import argparse
import json
import random
import time

T0 = time.perf_counter()
import datasets  # noqa: E402
from transformers import GPT2TokenizerFast  # noqa: E402

IMPORTS = time.perf_counter() - T0
TEMPLATE = "Question: {q} Answer: {a}"
SEED = 42


def to_binary(batch, indices):
    texts, labels = [], []
    for question, key, row in zip(batch["question"], batch["answerKey"], indices):
        choices = question["choices"]
        gold = next(i for i, c in enumerate(choices) if c["label"] == key)
        wrong = random.Random(SEED * 1_000_003 + row).choice(
            [i for i in range(len(choices)) if i != gold]
        )
        for index, label in ((gold, 1), (wrong, 0)):
            texts.append(TEMPLATE.format(q=question["stem"], a=choices[index]["text"]))
            labels.append(label)
    return {"text": texts, "label": labels}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("train_jsonl")
    parser.add_argument("tokenizer_dir")
    parser.add_argument("--cache", required=True)
    args = parser.parse_args()
    datasets.disable_progress_bars()

    times = {"imports": IMPORTS}
    start = time.perf_counter()
    tokenizer = GPT2TokenizerFast.from_pretrained(args.tokenizer_dir)
    times["load_tokenizer"] = time.perf_counter() - start

    start = time.perf_counter()
    raw = datasets.load_dataset(
        "json", data_files=args.train_jsonl, split="train", cache_dir=args.cache
    )
    times["load_json"] = time.perf_counter() - start

    start = time.perf_counter()
    examples = raw.map(
        to_binary, batched=True, with_indices=True, remove_columns=raw.column_names
    )
    times["convert"] = time.perf_counter() - start

    start = time.perf_counter()
    tokenized = examples.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=256),
        batched=True,
    )
    tokenized.set_format("numpy", columns=["input_ids", "label"])
    times["tokenize"] = time.perf_counter() - start

    times["total_after_imports"] = sum(v for k, v in times.items() if k != "imports")
    times["examples"] = len(tokenized)
    times["tokens"] = int(sum(len(ids) for ids in tokenized["input_ids"]))
    print(json.dumps(times))


if __name__ == "__main__":
    main()
