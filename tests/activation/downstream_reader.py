"""A downstream tool, run as its own process: read one export file, validate every row.

Usage: python downstream_reader.py <file> <parquet|csv|jsonl> <json schema>
Prints a JSON summary: rows read, customer ids, and the validation errors found.
CSV carries no types, so values are typed from the schema, as a loader would.
"""

import datetime as dt
import json
import sys

import jsonschema


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _typed_from_csv(value: str, spec: dict):
    types = spec.get("type", [])
    types = [types] if isinstance(types, str) else types
    if value == "":
        return None
    if "boolean" in types:
        return {"true": True, "false": False}.get(value, value)
    if "integer" in types:
        return int(value)
    return value


def read_rows(path: str, fmt: str, schema: dict) -> list[dict]:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return [{k: _plain(v) for k, v in row.items()} for row in pq.read_table(path).to_pylist()]
    if fmt == "csv":
        import pandas as pd

        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        return [
            {k: _typed_from_csv(v, schema["properties"].get(k, {})) for k, v in row.items()}
            for row in frame.to_dict(orient="records")
        ]
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main() -> None:
    path, fmt, schema_path = sys.argv[1:4]
    with open(schema_path, encoding="utf-8") as handle:
        schema = json.load(handle)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    rows = read_rows(path, fmt, schema)
    errors = [
        f"row {i}: {e.message}" for i, row in enumerate(rows) for e in validator.iter_errors(row)
    ]
    columns = list(rows[0]) if rows else []
    json.dump(
        {
            "rows": len(rows),
            "columns": columns,
            "errors": errors[:20],
            "customer_ids": sorted(r["customer_id"] for r in rows),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
