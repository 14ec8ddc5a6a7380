"""``cdp sources infer FILE``: a proposed source definition from one sample export.

Sniffs what a reader needs (format, encoding including cp1252 and BOMs, delimiter, decimal
comma, date and timestamp formats), maps the header onto the contract whose vocabulary it
matches best (:mod:`ingestion.vocabulary`), and writes the definition with a comment on
each guess, for a person to read before `cdp sources check`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ingestion.contracts import CONTRACTS, column_rules, other_field
from ingestion.infer_yaml import render
from ingestion.policy import DERIVED_FIELDS
from ingestion.vocabulary import CONTRACT_VOCABULARY, canonical, normalise

_SAMPLE_BYTES = 1 << 20
_SAMPLE_ROWS = 500
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M", "%d-%m-%Y %H:%M:%S",
)  # fmt: skip
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d")


class InferError(ValueError):
    """The sample cannot be read well enough to propose anything."""


@dataclass
class Sample:
    """What was sniffed from the file: reader options and up to 500 rows as text."""

    format: str
    columns: list[str]
    rows: list[dict[str, str]]
    encoding: str = "utf-8"
    delimiter: str = ","
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Proposal:
    """A proposed definition: the mapping and formats with a comment on each guess."""

    source: str
    entity: str
    contract: str
    files: str
    sample: Sample
    columns: dict[str, str]  # contract field -> export column
    comments: dict[str, str]  # contract field -> why
    decimal_separator: str = "."
    timestamp_formats: list[str] = field(default_factory=list)
    date_formats: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # export columns left out
    missing_required: list[str] = field(default_factory=list)

    def to_yaml(self) -> str:
        """The definition as commented YAML."""
        return render(self)


def _encoding(raw: bytes) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8 byte-order mark"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InferError("UTF-16 export: re-export it as UTF-8 (or cp1252) text")
    try:
        raw.decode("utf-8")
        return "utf-8", "valid UTF-8"
    except UnicodeDecodeError as error:
        # a multi-byte character cut by the sample's end is still UTF-8
        if error.start >= len(raw) - 3 and error.reason == "unexpected end of data":
            return "utf-8", "valid UTF-8"
    if any(0x80 <= byte <= 0x9F for byte in raw):
        return "cp1252", "not UTF-8; bytes 0x80-0x9F (€ œ ’ …) only cp1252 defines"
    return "latin-1", "not UTF-8, no cp1252-only byte"


def _csv_sample(path: Path, raw: bytes) -> Sample:
    encoding, why = _encoding(raw)
    text = raw.decode("cp1252" if encoding == "cp1252" else encoding, errors="replace")
    header = text.splitlines()[0] if text else ""
    counts = {d: header.count(d) for d in (";", ",", "\t", "|")}
    delimiter = max(counts, key=lambda d: counts[d])
    if not counts[delimiter]:
        raise InferError(f"{path}: the first line holds no ; , tab or | : is it a CSV export?")
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    rows = [row for _, row in zip(range(_SAMPLE_ROWS), reader, strict=False)]
    notes = {
        "encoding": why,
        "delimiter": f"{counts[delimiter]} in the header line",
    }
    notes["format"] = "delimited text"
    return Sample("csv", list(reader.fieldnames or []), rows, encoding, delimiter, notes)


def _flatten(record: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in record.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = "" if value is None else str(value)
    return flat


def _jsonl_sample(path: Path, raw: bytes) -> Sample:
    rows = []
    for line in raw.decode("utf-8", errors="replace").splitlines()[:_SAMPLE_ROWS]:
        try:
            rows.append(_flatten(json.loads(line)))
        except (json.JSONDecodeError, AttributeError):
            continue
    if not rows:
        raise InferError(f"{path}: no line of the sample is a JSON object")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return Sample("jsonl", columns, rows, notes={"format": "one JSON object per line"})


def _parquet_sample(path: Path) -> Sample:
    import duckdb

    con = duckdb.connect()
    relation = con.sql(f"select * from read_parquet('{path}') limit {_SAMPLE_ROWS}")
    columns = relation.columns
    rows = [
        {c: "" if v is None else str(v) for c, v in zip(columns, row, strict=True)}
        for row in relation.fetchall()
    ]
    return Sample("parquet", columns, rows, notes={"format": "Parquet (typed columns)"})


def sniff(path: Path) -> Sample:
    """Read a sample of ``path`` and work out how to read the whole file."""
    if not path.is_file():
        raise InferError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _parquet_sample(path)
    with path.open("rb") as handle:
        raw = handle.read(_SAMPLE_BYTES)
    if suffix in (".jsonl", ".ndjson", ".json") or raw.lstrip()[:1] == b"{":
        return _jsonl_sample(path, raw)
    return _csv_sample(path, raw)


def _match(columns: list[str], contract: str) -> tuple[dict[str, str], dict[str, str]]:
    """Greedy header -> field mapping on canonical words (:func:`vocabulary.canonical`):
    exact synonyms first, then headers holding one's words."""
    vocabulary = CONTRACT_VOCABULARY.get(contract, {})
    candidates: list[tuple[int, tuple[int, ...], str, str, str]] = []
    for column in columns:
        words = canonical(column)
        ordered = normalise(column).split()
        for field_name, synonyms in vocabulary.items():
            for rank, synonym in enumerate([field_name.replace("_", " "), *synonyms]):
                wanted = canonical(synonym)
                # exact names rank by the vocabulary's order (its usual name first); a
                # header merely holding a synonym's words, by whether they end it (the
                # last words are the specific ones: `Billing Zip`, `address.city`), then
                # by how much of it they explain
                if words == wanted:
                    candidates.append((2, (rank,), column, field_name, synonym))
                elif wanted and wanted <= words and len(" ".join(sorted(wanted))) > 2:
                    tail = 0 if canonical(ordered[-1]) <= wanted else 1
                    candidates.append((1, (tail, -len(wanted)), column, field_name, synonym))
    candidates.sort(key=lambda c: (-c[0], c[1], columns.index(c[2])))
    mapping: dict[str, str] = {}
    comments: dict[str, str] = {}
    used: set[str] = set()
    for strength, _, column, field_name, synonym in candidates:
        if field_name in mapping or column in used:
            continue
        mapping[field_name], used = column, used | {column}
        comments[field_name] = (
            f"{column!r} is a usual name for it"
            if strength == 2
            else f"guess: {column!r} holds the words of {synonym!r}"
        )
    # one home phone and no other: it is the row's phone
    model = CONTRACTS[contract]
    for field_name in list(mapping):
        main = next((f for f in model.model_fields if other_field(f, model) == field_name), None)
        if main and main not in mapping:
            mapping[main] = mapping.pop(field_name)
            comments[main] = comments.pop(field_name)
    return mapping, comments


def _choose_contract(columns: list[str], wanted: str | None) -> str:
    def score(contract: str) -> int:
        # fields found, a required one worth five, a required one missing costing five
        mapping, _ = _match(columns, contract)
        derivable = DERIVED_FIELDS.get(contract, {})
        required = [r.name for r in column_rules(CONTRACTS[contract]) if r.required]
        needed = [name for name in required if name not in derivable]
        found = sum(name in mapping for name in needed)
        return len(mapping) + 5 * found - 5 * (len(needed) - found)

    if wanted:
        if wanted not in CONTRACTS:
            raise InferError(f"unknown contract {wanted!r}; use one of {sorted(CONTRACTS)}")
        return wanted
    return max(sorted(CONTRACT_VOCABULARY), key=score)


def _fits(values: list[str], fmt: str) -> bool:
    for value in values:
        try:
            datetime.strptime(value, fmt)
        except ValueError:
            return False
    return True


_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?", re.I
)
_EPOCHS = {10: "epoch_s", 13: "epoch_ms", 16: "epoch_us"}  # digits of a time since 2001


def _named_format(values: list[str]) -> tuple[str, str] | None:
    """A named format (:data:`ingestion.definitions.NAMED_FORMATS`) fitting every value."""
    lengths = {len(v) for v in values}
    if all(v.isdigit() for v in values) and len(lengths) == 1 and min(lengths) in _EPOCHS:
        unit = _EPOCHS[min(lengths)]
        return unit, f"every sampled value is a {min(lengths)}-digit Unix time: {unit}"
    if all(_ISO.fullmatch(v) for v in values) and any(
        re.search(r"[+-]\d{2}(:?\d{2})?$", v) for v in values
    ):
        return "iso8601", "ISO 8601 with UTC offsets: stored as UTC"
    return None


def _formats(values: list[str], candidates: tuple[str, ...]) -> tuple[list[str], str]:
    named = _named_format(values)
    if named:
        return [named[0]], named[1]
    fitting = [fmt for fmt in candidates if _fits(values, fmt)]
    if not fitting:
        return [], f"no known format fits {values[0]!r}: add yours"
    day_first = [f for f in fitting if f.startswith("%d")]
    month_first = [f for f in fitting if f.startswith("%m")]
    if day_first and month_first:
        return [day_first[0]], (
            f"{fitting[0]!r} and {month_first[0]!r} both fit (every day <= 12): day first assumed"
        )
    return [fitting[0]], f"every sampled value fits {fitting[0]!r}"


def propose(
    path: Path, source: str | None = None, contract: str | None = None, files: str | None = None
) -> Proposal:
    """A proposed definition for the export at ``path``."""
    sample = sniff(path)
    chosen = _choose_contract(sample.columns, contract)
    mapping, comments = _match(sample.columns, chosen)
    name = source or re.sub(r"[^a-z0-9]+", "_", normalise(re.sub(r"[\d_-]+$", "", path.stem)))
    name = name.strip("_") or "new_source"
    if not name[0].isalpha():
        name = "s_" + name
    pattern = re.sub(r"\d{4}[-_]?\d{2}[-_]?\d{2}|\d{6,}", "*", path.name)
    proposal = Proposal(
        source=name,
        entity=re.sub(r"y$", "ie", chosen.split("_")[-1]) + "s",
        contract=chosen,
        files=files or f"{name}/{pattern}",
        sample=sample,
        columns=mapping,
        comments=comments,
    )
    rules = {r.name: r for r in column_rules(CONTRACTS[chosen])}
    for field_name, column in mapping.items():
        values = [(row.get(column) or "").strip() for row in sample.rows]
        values = [v for v in values if v]
        sql_type = rules[field_name].sql_type
        if not values or sample.format == "parquet":  # Parquet columns carry their types
            continue
        if sql_type in ("TIMESTAMP", "DATE"):
            timestamp = sql_type == "TIMESTAMP"
            found, why = _formats(
                values, TIMESTAMP_FORMATS + DATE_FORMATS if timestamp else DATE_FORMATS
            )
            comments[field_name] += f"; {why}"
            target = proposal.timestamp_formats if timestamp else proposal.date_formats
            target.extend(f for f in found if f not in target)
        if sql_type.startswith("DECIMAL") and any(re.fullmatch(r"-?\d+,\d+", v) for v in values):
            proposal.decimal_separator = ","
            comments[field_name] += "; decimal comma seen"
    proposal.unmapped = [c for c in sample.columns if c not in mapping.values()]
    derivable = DERIVED_FIELDS.get(chosen, {})
    proposal.missing_required = [
        r for r, rule in rules.items() if rule.required and r not in mapping and r not in derivable
    ]
    return proposal
