"""The proposed definition of ``cdp sources infer`` as commented YAML."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from core.identifiers import email_typed_sql
from ingestion.contracts import CONTRACTS, column_rules, other_field
from ingestion.policy import DERIVED_FIELDS

if TYPE_CHECKING:
    from ingestion.infer import Proposal

# contract -> identity mapping proposed: source_key, where, attributes (identity input ->
# contract field), first_seen_at
_IDENTITIES = {
    "contact": ("contact_id", None, {
        "first_name": "first_name", "last_name": "last_name", "full_name": "full_name",
        "email": "email", "phone": "phone", "birth_date": "birth_date",
        "address_line": "address_line", "postcode": "postcode", "city": "city",
        "country": "country"}, "created_at"),
    "web_account": ("account_id", None, {
        "first_name": "first_name", "last_name": "last_name", "email": "email",
        "phone": "phone", "birth_date": "birth_date", "address_line": "address_line",
        "postcode": "postcode", "city": "city"}, "created_at"),
    "email_subscriber": (email_typed_sql("email"), None, {
        "first_name": "first_name", "last_name": "last_name", "email": "email",
        "postcode": "postcode"}, "opted_in_at"),
    "callcenter_ticket": ("ticket_id", None, {
        "full_name": "caller_name", "phone": "caller_phone", "email": "caller_email"},
        "opened_at"),
    "customer_review": ("review_id", None, {
        "full_name": "author_name", "email": "author_email"}, "written_at"),
    "pos_receipt_line": (email_typed_sql("customer_email"), "customer_email is not null", {
        "first_name": "customer_first_name", "last_name": "customer_last_name",
        "email": "customer_email", "phone": "customer_phone", "postcode": "customer_postcode",
        "city": "customer_city", "birth_date": "customer_birth_date"}, "sold_at"),
}  # fmt: skip


def _q(value: str) -> str:
    """A YAML scalar: JSON's double-quoted strings are valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def _identities(proposal: Proposal) -> list[str]:
    spec = _IDENTITIES.get(proposal.contract)
    if not spec:
        return ["# no identities: this contract's rows are events, not people"]
    key, where, inputs, seen = spec
    mapped = proposal.columns
    if proposal.contract == "pos_receipt_line":
        if "loyalty_card_id" in mapped:
            key, where = "loyalty_card_id", "loyalty_card_id is not null"
        elif "customer_email" not in mapped:
            return ["# no identities: the export names no loyalty card or customer e-mail"]
    model = CONTRACTS[proposal.contract]
    attributes: dict[str, str] = {}
    for attribute, field_name in inputs.items():
        if field_name not in mapped:
            continue
        other = other_field(field_name, model)
        # a second e-mail or phone of the row is an identifier of the record too
        attributes[attribute] = f"[{field_name}, {other}]" if other in mapped else field_name
    lines = [
        "identities:",
        f"  - identity_type: {proposal.source}_{proposal.entity.rstrip('s')}",
        f"    entity: {proposal.entity}",
        f"    source_key: {_q(key)}",
    ]
    if where:
        lines.append(f"    where: {_q(where)}")
    if attributes:
        lines.append("    attributes:")
        lines += [f"      {a}: {f}" for a, f in attributes.items()]
    if seen in mapped:
        lines.append(f"    first_seen_at: {seen}")
    if proposal.contract == "pos_receipt_line" and key == "loyalty_card_id":
        lines.append("    strong_identifiers: {loyalty_card: loyalty_card_id}")
    return lines


def render(proposal: Proposal) -> str:
    """Commented YAML a person reads, edits and checks (`cdp sources check`)."""
    sample, notes = proposal.sample, proposal.sample.notes
    rules = column_rules(CONTRACTS[proposal.contract])
    required = [r.name for r in rules if r.required]
    lines = [
        f"# Proposed by `cdp sources infer` from a sample of {len(sample.rows)} rows. Read each",
        "# comment, then dry-run it: `cdp sources check "
        f"{proposal.source}` (writes nothing), then `cdp ingest`.",
        f"source: {proposal.source}",
        "# country: FR   # set the people's country when it is not FR (postcodes, phones)",
        "entities:",
        f"  {proposal.entity}:",
        f"    contract: {proposal.contract}   # best vocabulary match; required: {required}",
        f"    files: {_q(proposal.files)}   # glob under the landing folder",
        f"    format: {sample.format}   # {notes.get('format', 'from the file name')}",
    ]
    if sample.format == "csv":
        lines += [
            f"    delimiter: {_q(sample.delimiter)}   # {notes['delimiter']}",
            f"    encoding: {sample.encoding}   # {notes['encoding']}",
        ]
    if proposal.decimal_separator != ".":
        lines.append(f"    decimal_separator: {_q(proposal.decimal_separator)}")
    for key in ("timestamp_formats", "date_formats"):
        formats = getattr(proposal, key)
        if formats:
            lines.append(f"    {key}: [{', '.join(_q(f) for f in formats)}]")
    model = CONTRACTS[proposal.contract]
    others = {other_field(r.name, model): r.name for r in rules if other_field(r.name, model)}
    # a second column of the same e-mail or phone is listed beside the first, erased with it
    personal = {
        kind: [f for f in proposal.columns if f.endswith(kind) and f not in others]
        for kind in ("email", "phone")
    }
    personal = {k: v for k, v in personal.items() if v}
    if personal:
        lines.append("    personal_data:   # what erasure tombstones are matched against")
        lines += [f"      {kind}: [{', '.join(fields)}]" for kind, fields in personal.items()]
    lines.append("    columns:")
    for rule in rules:
        if rule.name in proposal.columns and rule.name not in others:
            column = _q(proposal.columns[rule.name])
            comment = proposal.comments[rule.name]
            other = other_field(rule.name, model)
            if other in proposal.columns:
                column = f"[{column}, {_q(proposal.columns[other])}]"
                comment += f"; then {proposal.comments[other]} (kept as {other})"
            lines.append(f"      {rule.name}: {column}   # {comment}")
    for name, group in DERIVED_FIELDS.get(proposal.contract, {}).items():
        if name not in proposal.columns:
            lines.append(
                f"      # {name}: derived, rows numbered in file order within each "
                f"({', '.join(group)}); map a column if the export has one"
            )
    for name in proposal.missing_required:
        lines.append(
            f"      # {name}: ???   # REQUIRED, no column found: map a column, an `sql:` "
            "over the row or a `default:`"
        )
    if proposal.unmapped:
        lines.append(f"    # columns left out: {', '.join(proposal.unmapped)}")
    return "\n".join(lines + _identities(proposal)) + "\n"
