"""Inline data shared by the voice tests (a module name no other test folder uses)."""

# Alice's ticket T1 (cust-A) has no CSAT: its sentiment comes from the text alone.
ALICE_VERBATIM = "Colis toujours pas reçu, c'est la deuxième fois ! Je suis très déçue."

# Alice's mobile as the SMS platform writes it (the sms_recipient source key), her replies to
# a campaign: a complaint (feedback) and, two days later, a STOP (an SMS opt-out, no feedback).
ALICE_SMS_NUMBER = "33611223344"
ALICE_SMS_REPLY = "le code promo marche pas sur le site, franchement nul"
SMS_COLUMNS = "event_id, campaign_id, campaign_name, phone, activity_type, activity_at, reply_text"
SMS_EVENTS = [
    ("E1", "SMS-C9", "Soldes", ALICE_SMS_NUMBER, "sent", "2026-10-23 10:00:00", None),
    ("E2", "SMS-C9", "Soldes", ALICE_SMS_NUMBER, "delivered", "2026-10-23 10:01:00", None),
    ("E3", "SMS-C9", "Soldes", ALICE_SMS_NUMBER, "reply", "2026-10-23 10:30:00", ALICE_SMS_REPLY),
    ("E4", "SMS-C9", "Soldes", ALICE_SMS_NUMBER, "reply", "2026-10-25 09:00:00", "STOP"),
]


def add_sms_activity(con) -> None:
    """raw.sms__activity as ingestion writes it, and Alice's sms_recipient record."""
    con.execute("""create table raw.sms__activity (event_id varchar, campaign_id varchar,
        campaign_name varchar, phone varchar, activity_type varchar, activity_at timestamp,
        url varchar, reply_text varchar, _source_file varchar, _source_row bigint,
        _batch_id varchar, _loaded_at timestamp)""")
    for row_number, event in enumerate(SMS_EVENTS, start=1):
        con.execute(
            f"insert into raw.sms__activity ({SMS_COLUMNS}, _source_file, _source_row, "
            "_batch_id, _loaded_at) values (?, ?, ?, ?, ?, ?, ?, 'sms_activity_20261031.csv', "
            "?, 'batch-sms', '2026-11-01 00:00:00')",
            [*event, row_number],
        )
    con.execute(
        "insert into identity.customer_records values (?, 'sms_recipient', ?, 'cust-A', 'run-1')",
        [f"sms_recipient:{ALICE_SMS_NUMBER}", ALICE_SMS_NUMBER],
    )
