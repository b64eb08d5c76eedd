"""Writes a JSONL file as parquet the way the Hugging Face Hub stores datasets.

Used by tests/integration/builtin_plugins to build Hub-schema fixtures: pyarrow infers
the column types from the rows, so nested objects become struct columns and lists become
list columns (e.g. `tau/commonsense_qa`'s `choices: struct<label: list<string>, text:
list<string>>`), exactly the shapes the host's parquet→JSON conversion must handle.

Usage: python jsonl_to_parquet.py IN.jsonl OUT.parquet
"""
import json
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    pq.write_table(pa.Table.from_pylist(rows), target)


if __name__ == "__main__":
    main()
