"""Consent comes from every source whose identity records carry opt-ins, not a fixed list."""

from __future__ import annotations

import identity
import ingestion
from core.warehouse import connect
from profiles import build_profiles

CRM = """
source: crm
entities:
  contacts:
    contract: contact
    files: crm/contacts_*.csv
    format: csv
    encoding: utf-8
    timestamp_formats: ["%Y-%m-%d %H:%M"]
    booleans: {true_values: ["yes"], false_values: ["no"]}
    columns:
      contact_id: id
      first_name: first
      last_name: last
      email: email
      phone: mobile
      email_opt_in: newsletter
      sms_opt_in: sms
      updated_at: updated
identities:
  - identity_type: crm_contact
    entity: contacts
    source_key: contact_id
    attributes: {first_name: first_name, last_name: last_name, email: email, phone: phone}
    last_seen_at: updated_at
"""
# K1 says yes to the newsletter, then no in a later export; K2 answers once and the
# re-export repeats it (one decision, not two); K3 gives no answer. K1's SMS yes counts
# because her contact holds a mobile (a grant needs the channel's contact point).
EXPORTS = {
    "contacts_2026-10-01.csv": "id,first,last,email,mobile,newsletter,sms,updated\n"
    "K1,Ana,Lopes,ana.lopes@laposte.net,06 12 34 56 78,yes,yes,2026-10-01 09:00\n"
    "K2,Ben,Roy,ben.roy@laposte.net,,no,,2026-10-01 09:00\n"
    "K3,Cyd,Noe,cyd.noe@laposte.net,,,,2026-10-01 09:00\n",
    "contacts_2026-11-01.csv": "id,first,last,email,mobile,newsletter,sms,updated\n"
    "K1,Ana,Lopes,ana.lopes@laposte.net,06 12 34 56 78,no,yes,2026-11-01 09:00\n"
    "K2,Ben,Roy,ben.roy@laposte.net,,no,,2026-11-01 09:00\n",
}


def test_a_crm_sources_opt_ins_reach_consent_without_code(settings):
    for definition in settings.sources_dir.glob("*.yml"):
        definition.unlink()
    (settings.sources_dir / "crm.yml").write_text(CRM, encoding="utf-8")
    landing = settings.landing_dir / "crm"
    landing.mkdir(parents=True)
    for name, text in EXPORTS.items():
        (landing / name).write_text(text, encoding="utf-8")
    ingestion.ingest(settings)
    identity.resolve(settings)

    # the in-force rule alone: this installation has no e-mail platform for the marts to read
    build_profiles(settings, select="+int_consent_in_force", publish=False)

    with connect(settings) as con:
        history = con.execute("""
select r.source_key, h.channel, h.is_granted, h.source from consent.signals h
join identity.customer_records r using (record_id) order by 1, 2, h.decided_at""").fetchall()
        current = con.execute("""
select r.source_key, c.channel, c.is_granted from intermediate.int_consent_in_force c
join identity.customer_records r using (customer_id) order by 1, 2""").fetchall()

    assert history == [
        ("K1", "email", True, "crm.contacts"),
        ("K1", "email", False, "crm.contacts"),
        ("K1", "sms", True, "crm.contacts"),
        ("K2", "email", False, "crm.contacts"),
    ]
    assert current == [("K1", "email", False), ("K1", "sms", True), ("K2", "email", False)]
