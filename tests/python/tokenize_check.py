"""Tokenizes texts with transformers' GPT2TokenizerFast, for tokenizer parity tests.

Usage: tokenize_check.py MODEL_DIR TEXTS_JSON
Prints {"json": [[ids]...], "vocab_merges": [[ids]...], "eos": id} where "json" loads
MODEL_DIR (tokenizer.json) and "vocab_merges" builds the tokenizer from vocab.json +
merges.txt alone (transformers' slow-to-fast conversion).
"""
import json
import shutil
import sys
import tempfile

from transformers import GPT2TokenizerFast


def main():
    model_dir, texts_path = sys.argv[1], sys.argv[2]
    with open(texts_path) as f:
        texts = json.load(f)
    from_json = GPT2TokenizerFast.from_pretrained(model_dir)
    files_only = tempfile.mkdtemp()
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(f"{model_dir}/{name}", files_only)
    from_files = GPT2TokenizerFast.from_pretrained(files_only)
    shutil.rmtree(files_only)
    print(json.dumps({
        "json": [from_json(t)["input_ids"] for t in texts],
        "vocab_merges": [from_files(t)["input_ids"] for t in texts],
        "eos": from_json.eos_token_id,
    }))


if __name__ == "__main__":
    main()
