"""Vendor exports in their documented shapes: the shipped definitions load them, and
`cdp sources infer` proposes a definition `cdp sources check` accepts after at most two edits.

The samples are hand-written files of a few rows (config/examples/samples/): Shopify
customers and orders, Mailchimp members and email activity, Zendesk tickets, a French
cp1252 CRM contact file.
"""

from __future__ import annotations

import shutil

import pytest

import ingestion
from core.settings import PROJECT_DIR
from core.warehouse import connect
from ingestion.check import check_source
from ingestion.definitions import load_definition
from ingestion.infer import propose

EXAMPLES = PROJECT_DIR / "config" / "examples"
SAMPLES = EXAMPLES / "samples"

# sample -> (shipped definition, landing folder, data rows)
SHIPPED = {
    "shopify_customers_export.csv": ("shopify_customers", "shopify", 3),
    "shopify_orders_export.csv": ("shopify_orders", "shopify", 3),
    "mailchimp_subscribed_members_export.csv": ("mailchimp_members", "mailchimp", 2),
    "mailchimp_email_activity.csv": ("mailchimp_activity", "mailchimp", 3),
    "zendesk_tickets_export.csv": ("zendesk_tickets", "zendesk", 3),
    "crm_contacts_fr.csv": ("crm_contacts_fr", "crm", 3),
}

# The edits a person makes to what `infer` proposed, (old text, new text), at most two.
EDITS = {
    "shopify_customers_export.csv": [],
    # online orders name no store
    "shopify_orders_export.csv": [
        ('store_id: "Location"', 'store_id: {column: "Location", default: online}')
    ],
    # the status is the file's (one export per status), not a column
    "mailchimp_subscribed_members_export.csv": [
        ("    columns:\n", "    columns:\n      status: {default: subscribed}\n")
    ],
    "mailchimp_email_activity.csv": [],
    # Zendesk's vocabularies onto the contract's closed ones
    "zendesk_tickets_export.csv": [
        (
            'status: "Status"',
            "status: {column: Status, sql: \"case lower(value) when 'solved' then 'closed' "
            "else 'open' end\"}",
        ),
        (
            'contact_channel: "Via"',
            "contact_channel: {column: Via, sql: \"case when value ilike '%phone%' then "
            "'phone' when value ilike '%chat%' then 'chat' else 'email' end\"}",
        ),
    ],
    "crm_contacts_fr.csv": [],
}


@pytest.mark.parametrize("sample", sorted(SHIPPED))
def test_shipped_definition_loads_its_vendor_sample(settings, sample):
    name, folder, rows = SHIPPED[sample]
    shutil.copy(EXAMPLES / f"{name}.yml", settings.sources_dir / f"{name}.yml")
    (settings.landing_dir / folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLES / sample, settings.landing_dir / folder / sample)

    report = ingestion.ingest(settings, sources=[name])

    (result,) = report.files
    assert (result.status, result.rows_read, result.rows_accepted) == ("loaded", rows, rows)
    assert result.fields_nulled == 0, result.field_issues


def test_shipped_vendor_definitions_keep_what_vendors_spell_their_way(settings):
    for name, _, _ in SHIPPED.values():
        shutil.copy(EXAMPLES / f"{name}.yml", settings.sources_dir / f"{name}.yml")
    for sample, (_, folder, _) in SHIPPED.items():
        (settings.landing_dir / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLES / sample, settings.landing_dir / folder / sample)
    ingestion.ingest(settings, sources=[name for name, _, _ in SHIPPED.values()])

    with connect(settings) as con:
        lines = con.execute(
            "select store_id, receipt_id, line_number, sold_at "
            "from raw.shopify_orders__order_lines order by _source_row"
        ).fetchall()
        tickets = con.execute(
            "select ticket_id, status, contact_channel from raw.zendesk_tickets__tickets "
            "order by ticket_id"
        ).fetchall()
        crm = con.execute(
            "select last_name, address_line, postcode from raw.crm_contacts_fr__contacts "
            "where contact_id = 'C0002'"
        ).fetchone()
    # Shopify: store defaulted, lines numbered per order, +0100 stored as UTC
    assert [line[:3] for line in lines] == [
        ("online", "#1001", 1),
        ("online", "#1001", 2),
        ("online", "#1002", 1),
    ]
    assert str(lines[0][3]) == "2024-03-01 09:15:22"
    assert tickets == [("1042", "closed", "email"), ("1043", "open", "phone"),
                       ("1044", "open", "chat")]  # fmt: skip
    assert crm == ("L’HÔTE", "12 rue du Cœur Volant", "6000")


@pytest.mark.parametrize("sample", sorted(EDITS))
def test_inferred_definition_passes_check_after_at_most_two_edits(settings, sample):
    landing = settings.landing_dir / "vendor"
    landing.mkdir(parents=True)
    shutil.copy(SAMPLES / sample, landing / sample)

    proposal = propose(landing / sample, files=f"vendor/{sample}")
    text = proposal.to_yaml()
    assert len(EDITS[sample]) <= 2
    for old, new in EDITS[sample]:
        assert text.count(old) == 1, f"{old!r} not proposed:\n{text}"
        text = text.replace(old, new)
    path = settings.sources_dir / f"{proposal.source}.yml"
    path.write_text(text, encoding="utf-8")
    load_definition(path)  # valid YAML and a valid definition

    (result,) = check_source(settings, proposal.source)

    rows = SHIPPED[sample][2]
    assert result.error is None
    assert (result.rows_read, result.rows_accepted) == (rows, rows), result.quarantined
    assert result.accepted_all
    # a check writes nothing: no warehouse file appears
    assert not settings.duckdb_path.exists()


def test_infer_reads_cp1252_bom_decimal_comma_and_day_first_dates(tmp_path):
    till = tmp_path / "ventes_2024-03-01.csv"
    till.write_bytes(
        "CODE MAGASIN;N° TICKET;DATE;EAN;LIBELLE;QTE;PRIX;CARTE FIDELITE\r\n"
        "M01;T1;25/03/2024 10:15;3012345678901;Bœuf bourguignon;1;12,50;C1\r\n".encode("cp1252")
    )
    tickets = tmp_path / "tickets.csv"
    tickets.write_text("\ufeffticket_id,created,requester email\nK1,2024-03-01,a@b.fr\n", "utf-8")

    proposal = propose(till)
    bom = propose(tickets)

    assert proposal.contract == "pos_receipt_line" and proposal.source == "ventes"
    assert (proposal.sample.encoding, proposal.sample.delimiter) == ("cp1252", ";")
    assert proposal.decimal_separator == ","
    assert proposal.timestamp_formats == ["%d/%m/%Y %H:%M"]
    assert proposal.columns["receipt_id"] == "N° TICKET"
    assert proposal.columns["loyalty_card_id"] == "CARTE FIDELITE"
    assert proposal.files == "ventes/ventes_*.csv"
    assert "line_number: derived" in proposal.to_yaml()
    assert bom.sample.encoding == "utf-8-sig" and bom.contract == "callcenter_ticket"


def test_infer_reads_json_lines_and_parquet(tmp_path):
    import duckdb

    events = tmp_path / "contacts.jsonl"
    events.write_text(
        '{"id": "A1", "email": "a@b.fr", "address": {"zip": "75011", "city": "Paris"}}\n',
        "utf-8",
    )
    parquet = tmp_path / "accounts.parquet"
    duckdb.connect().execute(
        f"copy (select 'A1' as customer_id, 'a@b.fr' as email, date '1980-01-02' as dob) "
        f"to '{parquet}' (format parquet)"
    )

    jsonl, typed = propose(events), propose(parquet)

    assert jsonl.sample.format == "jsonl" and jsonl.contract == "contact"
    assert jsonl.columns["postcode"] == "address.zip"
    assert typed.sample.format == "parquet"
    assert typed.columns == {"contact_id": "customer_id", "email": "email", "birth_date": "dob"}


def test_cdp_sources_infer_writes_a_definition_cdp_sources_check_dry_runs(settings, monkeypatch):
    from typer.testing import CliRunner

    from cdp.cli import app

    monkeypatch.setenv("CDP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CDP_CONFIG_DIR", str(settings.config_dir))
    folder = settings.landing_dir / "crm"
    folder.mkdir(parents=True)
    shutil.copy(SAMPLES / "crm_contacts_fr.csv", folder / "contacts_2026-11-30.csv")
    runner = CliRunner()

    inferred = runner.invoke(app, ["sources", "infer", str(folder / "contacts_2026-11-30.csv"),
                                   "--name", "crm"])  # fmt: skip
    checked = runner.invoke(app, ["sources", "check", "crm"], env={"COLUMNS": "200"})

    assert inferred.exit_code == 0, inferred.output
    text = (settings.sources_dir / "crm.yml").read_text(encoding="utf-8")
    assert 'files: "crm/contacts_*.csv"' in text and "encoding: cp1252" in text
    assert checked.exit_code == 0, checked.output
    assert "crm/contacts_2026-11-30.csv" in checked.output
    assert not settings.duckdb_path.exists()  # a dry run writes nothing
    # a second infer does not overwrite the definition a person may have edited
    again = runner.invoke(app, ["sources", "infer", str(folder / "contacts_2026-11-30.csv"),
                                "--name", "crm"])  # fmt: skip
    assert again.exit_code == 1 and "--force" in again.output
