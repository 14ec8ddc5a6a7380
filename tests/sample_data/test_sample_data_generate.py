"""`cdp generate`: exact export formats, truth for every identity, planted hard cases.

The generated files are parsed here with plain Python (csv, json, pyarrow), independently
of the ingestion code, so a format drift shows up as a failure here first.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from core.settings import Settings
from sample_data import generate
from sample_data._noise import fold

PEOPLE = 1000
POS_HEADER = (
    "CODE_MAGASIN;NUM_TICKET;NUM_LIGNE;DATE_HEURE;CODE_ARTICLE;LIBELLE_ARTICLE;FAMILLE;QUANTITE;"
    "PRIX_UNITAIRE;REMISE;PRIX_ACHAT;MODE_PAIEMENT;NUM_CARTE_FIDELITE;NOM_CLIENT;PRENOM_CLIENT;"
    "EMAIL_CLIENT;TEL_CLIENT;CP_CLIENT;VILLE_CLIENT;DATE_NAISSANCE_CLIENT;OPTIN_EMAIL;OPTIN_SMS"
)
UNDEFINED_CP1252 = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def _settings(root: Path) -> Settings:
    settings = Settings(data_dir=root / "data")
    settings.ensure_dirs()
    return settings


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Settings, dict]:
    settings = _settings(tmp_path_factory.mktemp("sample"))
    return settings, generate(settings, people=PEOPLE, seed=7, batches=2)


def _csv_rows(path: Path, delimiter: str, encoding: str) -> list[list[str]]:
    text = path.read_bytes().decode(encoding, errors="replace")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _files(settings: Settings, pattern: str) -> list[Path]:
    return sorted(settings.landing_dir.glob(pattern))


def _identity_keys(settings: Settings) -> set[tuple[str, str]]:
    """Every identity key the exports contain, read as the identity layer defines keys."""
    keys: set[tuple[str, str]] = set()
    for path in _files(settings, "pos/*.csv"):
        for row in _csv_rows(path, ";", "cp1252")[1:]:
            if len(row) > 12 and row[12].strip():
                keys.add(("loyalty_card", row[12].strip()))
    for path in _files(settings, "web/*.parquet"):
        for account_id in pq.read_table(path).column("account_id").to_pylist():
            if account_id:
                keys.add(("web_account", account_id))
    for path in _files(settings, "web/*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                keys.add(("web_cookie", json.loads(line)["user_pseudo_id"]))
            except json.JSONDecodeError:
                continue
    for path in _files(settings, "email/subscribers_*.csv"):
        for row in _csv_rows(path, ",", "utf-8")[1:]:
            keys.add(("email_subscriber", row[0].strip(" ").lower()))
    for path in _files(settings, "callcenter/*.csv"):
        for row in _csv_rows(path, ";", "utf-8-sig")[1:]:
            keys.add(("callcenter_caller", row[0]))
    for path in _files(settings, "reviews/reviews_*.csv"):
        for row in _csv_rows(path, ",", "utf-8")[1:]:
            keys.add(("review_author", row[0]))
    for path in _files(settings, "reviews/mentions_*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            keys.add(("social_author", json.loads(line)["id"]))
    for path in _files(settings, "sms/sms_activity_*.csv"):
        for row in _csv_rows(path, ",", "utf-8")[1:]:
            keys.add(("sms_recipient", row[3]))
    return keys


def _truth(settings: Settings) -> dict[tuple[str, str], str]:
    with (settings.truth_dir / "identity_truth.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    truth = {(r["identity_type"], r["source_key"]): r["person_id"] for r in rows}
    assert len(truth) == len(rows), "a source identity appears twice in the truth"
    return truth


def test_each_source_gets_one_file_per_batch_with_the_exact_header(sample):
    settings, summary = sample
    assert summary["file_dates"] == ["20261024", "20261031"]
    pos = _files(settings, "pos/pos_receipts_*.csv")
    assert [p.name for p in pos] == ["pos_receipts_20261024.csv", "pos_receipts_20261031.csv"]
    for path in pos:
        assert path.read_bytes().split(b"\r\n", 1)[0].decode("cp1252") == POS_HEADER
    for path in _files(settings, "email/subscribers_*.csv"):
        assert path.read_text(encoding="utf-8").splitlines()[0] == (
            "Email Address,First Name,Last Name,Status,Opt-in Date,Last Changed,Zip"
        )
    for path in _files(settings, "email/activity_*.csv"):
        assert path.read_text(encoding="utf-8").splitlines()[0] == (
            "campaign_id,campaign_name,email,action,timestamp,url,bounce_type"
        )
    for path in _files(settings, "callcenter/tickets_*.csv"):
        assert path.read_bytes().startswith(b"\xef\xbb\xbfticket_id;opened_at;closed_at;")
    for path in _files(settings, "web/eshop_accounts_*.parquet"):
        assert pq.read_schema(path).names == [
            "account_id", "email", "first_name", "last_name", "birth_date", "phone",
            "address_line", "postcode", "city", "email_opt_in", "sms_opt_in", "created_at",
            "updated_at",
        ]  # fmt: skip
    events = _files(settings, "web/ga4_events_*.jsonl")
    first = json.loads(events[0].read_text(encoding="utf-8").splitlines()[0])
    assert {
        "event_date",
        "event_timestamp",
        "event_name",
        "user_pseudo_id",
        "user_id",
        "event_params",
        "device",
        "geo",
        "traffic_source",
        "ecommerce",
        "items",
    } <= set(first)
    assert sum(summary["files"].values()) > 10 * PEOPLE


def test_pos_file_is_cp1252_with_euro_ligature_and_apostrophe(sample):
    settings, _ = sample
    raw = b"".join(p.read_bytes() for p in _files(settings, "pos/*.csv"))
    lines = raw.split(b"\r\n")
    broken = [line for line in lines if UNDEFINED_CP1252 & set(line)]
    # Only the few planted lines carry bytes cp1252 leaves undefined; all others decode.
    assert 1 <= len(broken) < 20
    text = b"\r\n".join(line for line in lines if line not in broken).decode("cp1252")
    for char in ("€", "œ", "’", "é"):
        assert char in text
    assert "," in text.split("\r\n")[1].split(";")[8]  # comma decimals: 12,99


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    def snapshot(root: Path, seed: int) -> dict[str, bytes]:
        settings = _settings(root)
        generate(settings, people=300, seed=seed, batches=2)
        return {
            str(p.relative_to(settings.data_dir)): p.read_bytes()
            for p in sorted(settings.data_dir.rglob("*"))
            if p.is_file() and p.parent.name != "warehouse"
        }

    first, again = snapshot(tmp_path / "a", 3), snapshot(tmp_path / "b", 3)
    assert first.keys() == again.keys() and len(first) == 21
    assert first == again
    other = snapshot(tmp_path / "c", 4)
    assert (
        other["landing/pos/pos_receipts_20261024.csv"]
        != first["landing/pos/pos_receipts_20261024.csv"]
    )


def test_truth_names_the_person_behind_every_identity_in_the_files(sample):
    settings, summary = sample
    truth = _truth(settings)
    in_files = _identity_keys(settings)
    assert in_files - truth.keys() == set()
    assert truth.keys() - in_files == set()
    people = pq.read_table(settings.truth_dir / "people.parquet").column("person_id").to_pylist()
    assert set(truth.values()) <= set(people) and len(people) == PEOPLE
    assert summary["identities"] == {
        kind: sum(1 for k, _ in truth if k == kind) for kind in summary["identities"]
    }
    assert set(summary["identities"]) == {
        "loyalty_card", "web_account", "web_cookie", "email_subscriber", "callcenter_caller",
        "review_author", "social_author", "sms_recipient",
    }  # fmt: skip


def _people(settings: Settings) -> list[dict]:
    return pq.read_table(settings.truth_dir / "people.parquet").to_pylist()


def test_households_share_an_email_or_phone_between_two_different_people(sample):
    settings, _ = sample
    by_email, by_phone = defaultdict(list), defaultdict(list)
    for person in _people(settings):
        if "household_shared_email" in person["cases"]:
            by_email[person["email"]].append(person)
        if "household_shared_phone" in person["cases"]:
            by_phone[person["phone"]].append(person)
    for groups in (by_email, by_phone):
        assert groups
        for members in groups.values():
            assert len(members) == 2
            a, b = members
            assert a["household_id"] == b["household_id"] and a["person_id"] != b["person_id"]
            assert a["first_name"] != b["first_name"] and a["birth_date"] != b["birth_date"]


def test_namesakes_are_different_people_with_different_birth_dates(sample):
    settings, _ = sample
    groups = defaultdict(list)
    for person in _people(settings):
        if "namesake" in person["cases"]:
            groups[(fold(person["first_name"]).lower(), fold(person["last_name"]).lower())].append(
                person
            )
    assert len(groups) >= 5
    for members in groups.values():
        assert len(members) >= 2
        assert len({m["person_id"] for m in members}) == len(members)


def test_married_name_change_keeps_email_and_birth_date_across_sources(sample):
    settings, _ = sample
    married = {p["person_id"]: p for p in _people(settings) if p["maiden_name"]}
    assert married and all("married_name_change" in p["cases"] for p in married.values())
    truth = _truth(settings)
    accounts = [
        row
        for path in _files(settings, "web/*.parquet")
        for row in pq.read_table(path).to_pylist()
        if row["account_id"] and truth.get(("web_account", row["account_id"])) in married
    ]
    seen_new_name = [
        row for row in accounts
        if row["last_name"] == married[truth[("web_account", row["account_id"])]]["last_name"]
    ]  # fmt: skip
    assert seen_new_name
    cards = defaultdict(set)
    for path in _files(settings, "pos/*.csv"):
        for row in _csv_rows(path, ";", "cp1252")[1:]:
            owner = truth.get(("loyalty_card", row[12] if len(row) > 12 else ""))
            if owner in married:
                cards[owner].add(fold(row[13]).lower())
    # The till's CRM still knows the maiden name.
    assert any(fold(married[pid]["maiden_name"]).lower() in names for pid, names in cards.items())


def test_junk_identifiers_are_shared_by_different_people_and_tagged(sample):
    settings, summary = sample
    truth = _truth(settings)
    owners = defaultdict(set)
    for path in _files(settings, "callcenter/*.csv"):
        for row in _csv_rows(path, ";", "utf-8-sig")[1:]:
            if len(row) > 6:
                person = truth[("callcenter_caller", row[0])]
                owners[("phone", row[4])].add(person)
                owners[("email", row[5])].add(person)
                owners[("card", row[6].replace(" ", "").replace("-", ""))].add(person)
    for path in _files(settings, "web/*.parquet"):
        for row in pq.read_table(path).to_pylist():
            if row["account_id"]:
                owners[("email", row["email"])].add(truth[("web_account", row["account_id"])])
    assert len(owners[("email", "test@test.com")]) >= 4
    assert len(owners[("phone", "0000000000")]) >= 2
    till = summary["junk"]["till_default_card"]
    assert len(owners[("card", till)] - {truth[("loyalty_card", till)]}) >= 1
    tagged = {p["person_id"] for p in _people(settings) if "junk_identifier" in p["cases"]}
    assert owners[("email", "test@test.com")] | owners[("phone", "0000000000")] <= tagged


def _is_pos_timestamp(text: str) -> bool:
    try:
        datetime.strptime(text, "%d/%m/%Y %H:%M")
    except ValueError:
        return False
    return True


def test_each_source_carries_a_few_malformed_rows(sample):
    settings, _ = sample
    pos = [r for p in _files(settings, "pos/*.csv") for r in _csv_rows(p, ";", "cp1252")[1:]]
    assert any(len(r) < 22 for r in pos)
    assert all(len(r) <= 22 for r in pos) and sum(len(r) != 22 for r in pos) < 20
    assert any(len(r) == 22 and r[7].startswith("-") for r in pos)
    assert any(len(r) == 22 and not _is_pos_timestamp(r[3]) for r in pos)
    tickets = [
        r for p in _files(settings, "callcenter/*.csv") for r in _csv_rows(p, ";", "utf-8-sig")
    ]
    assert any(len(r) == 13 and r[11] == "7" for r in tickets)
    subscribers = [r for p in _files(settings, "email/subscribers_*.csv") for r in
                   _csv_rows(p, ",", "utf-8")]  # fmt: skip
    assert any(len(r) == 7 and r[3] == "unknown" for r in subscribers)
    broken = 0
    for path in _files(settings, "web/*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                json.loads(line)
            except json.JSONDecodeError:
                broken += 1
    assert broken >= 1
    accounts = [r for p in _files(settings, "web/*.parquet") for r in pq.read_table(p).to_pylist()]
    assert any(r["account_id"] is None for r in accounts)


def test_purchase_revenue_is_the_sum_of_its_items(sample):
    settings, _ = sample
    purchases = 0
    for path in _files(settings, "web/*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # the planted broken lines
            if event["event_name"] != "purchase":
                continue
            items = event["items"]
            revenue = sum(i["price"] * i["quantity"] for i in items)
            assert event["ecommerce"]["purchase_revenue"] == pytest.approx(revenue, abs=0.005)
            assert event["ecommerce"]["total_item_quantity"] == sum(i["quantity"] for i in items)
            assert event["user_id"]  # checkout needs a logged-in account
            purchases += 1
    assert purchases > 10


def test_later_batch_re_exports_some_earlier_rows(sample):
    settings, _ = sample
    first, second = (set(p.read_bytes().split(b"\r\n")[1:]) for p in _files(settings, "pos/*"))
    assert 0 < len((first & second) - {b""}) < len(second) / 2


def test_cdp_generate_prints_a_summary(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cdp.cli import app

    monkeypatch.setenv("CDP_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(
        app,
        [
            "generate",
            "--people",
            "60",
            "--seed",
            "5",
            "--batches",
            "3",
            "--end-date",
            "2026-06-30",
        ],  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    assert "pos/pos_receipts_20260630.csv" in result.output
    assert len(list((tmp_path / "data" / "landing" / "pos").glob("*.csv"))) == 3
    generation = json.loads((tmp_path / "data" / "truth" / "generation.json").read_text())
    assert generation["end_date"] == date(2026, 6, 30).isoformat() and generation["people"] == 60


@pytest.mark.parametrize(("people", "batches"), [(5, 2), (100, 0), (100, 53)])
def test_out_of_range_arguments_are_refused_before_writing(tmp_path, people, batches):
    settings = _settings(tmp_path)
    with pytest.raises(ValueError, match="must be"):
        generate(settings, people=people, batches=batches)
    assert not any(settings.landing_dir.rglob("*.*"))


def test_review_texts_are_varied_not_one_template_per_topic(sample):
    settings, _ = sample
    texts = [
        row[6]
        for path in _files(settings, "reviews/reviews_*.csv")
        for row in _csv_rows(path, ",", "utf-8")[1:]
    ]
    assert len(texts) > 20
    assert len(set(texts)) >= 0.9 * len(texts)
    assert len({len(t) // 40 for t in texts}) >= 3  # short and long ones


def test_callcenter_verbatims_are_varied_and_mix_topics(tmp_path):
    settings = _settings(tmp_path)
    generate(settings, people=2500, seed=3, batches=1)
    texts = [
        row[12]
        for path in _files(settings, "callcenter/tickets_*.csv")
        for row in _csv_rows(path, ";", "utf-8-sig")[1:]
        if len(row) > 12 and row[12]
    ]
    assert len(texts) > 250
    assert len(set(texts)) > 0.8 * len(texts)
    assert len({len(t) // 40 for t in texts}) >= 4  # one-liners to long complaints
    # topic words from different aspects in one message (delivery + refund, store + staff...)
    topics = {
        "delivery": ("colis", "livr"),
        "refund": ("rembours", "rbt", "avoir"),
        "loyalty": ("points", "bon d", "carte"),
        "phone": ("telephone", "tel ", "appel", "conseill", "raccroch"),
        "account": ("compte", "mot de passe", "connect"),
        "store": ("magasin", "mag ", "cabine", "caisse", "rayons"),
    }
    mixed = [
        t
        for t in texts
        if sum(any(w in fold(t).lower() for w in words) for words in topics.values()) >= 2
    ]
    assert len(mixed) > 0.2 * len(texts)


def test_sms_activity_holds_replies_and_no_send_after_a_stop(sample):
    settings, _ = sample
    rows = [
        row
        for path in _files(settings, "sms/sms_activity_*.csv")
        for row in _csv_rows(path, ",", "utf-8")[1:]
        if len(row) == 8
    ]
    events = {row[4] for row in rows}
    assert {"sent", "delivered", "click", "reply"} <= events
    replies = [row for row in rows if row[4] == "reply"]
    assert all(row[3].startswith("33") and len(row[3]) == 11 for row in rows)
    stops = {(row[3], row[5]) for row in replies if "stop" in row[7].lower()}
    assert stops and len({row[7] for row in replies}) > 0.5 * len(replies)
    for number, stopped_at in stops:
        later = [r for r in rows if r[3] == number and r[4] == "sent" and r[5] > stopped_at]
        assert later == [], f"{number} was sent a campaign after its STOP"
