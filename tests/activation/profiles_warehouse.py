"""Fixture data for the profiles tests: a tiny warehouse following docs/architecture.md
(raw, ops, identity and marts tables).

Five identified customers and one anonymous cookie:

| customer  | who                | e-mail consent                       | sms consent | segment |
|-----------|--------------------|--------------------------------------|-------------|---------|
| cust-0001 | Zébulon Quatremare | granted (subscribed 2024-01-01)      | granted POS | dormant |
| cust-0002 | Marie Durand       | refused (account yes, unsub 03-01)   | none        | dormant |
| cust-0003 | Paul Martin        | granted (account)                    | refused     | dormant |
| cust-0004 | Léa Bernard        | refused (POS O 01-10, then N 02-10)  | none        | vip     |
| cust-0005 | Hugo Petit         | granted (subscribed)                 | none        | vip     |
| cust-0006 | anonymous cookie   | -                                    | -           | -       |

Zébulon holds five source identities (card, account, subscriber, ticket, cookie) and one
quarantined POS line; he is the person the privacy tests erase.
"""

from __future__ import annotations

from activation.golden_record import GOLDEN_ATTRIBUTES

ATTRIBUTES = GOLDEN_ATTRIBUTES  # the golden record's columns, in its order

ZEBULON = {
    "customer_id": "cust-0001",
    "email": "zebulon.quatremare@example.org",
    "phone": "+33612345678",
    "raw_phone": "06 12 34 56 78",
    "last_name": "Quatremare",
    "first_name": "Zébulon",
    "record_ids": [
        "loyalty_card:C001",
        "web_account:A001",
        "email_subscriber:zebulon.quatremare@example.org",
        "callcenter_caller:T001",
        "web_cookie:111.1700000000",
    ],
}

_PEOPLE = [  # customer_id, first, last, email, phone, birth_date, postcode, city
    (
        "cust-0001",
        "Zébulon",
        "Quatremare",
        "zebulon.quatremare@example.org",
        "+33612345678",
        "1980-05-04",
        "75011",
        "Paris",
    ),
    (
        "cust-0002",
        "Marie",
        "Durand",
        "marie.durand@example.org",
        None,
        "1975-02-01",
        "69003",
        "Lyon",
    ),
    (
        "cust-0003",
        "Paul",
        "Martin",
        "paul.martin@example.org",
        "+33699887766",
        None,
        "13001",
        "Marseille",
    ),
    (
        "cust-0004",
        "Léa",
        "Bernard",
        "lea.bernard@example.org",
        "+33611223344",
        "1990-09-09",
        "33000",
        "Bordeaux",
    ),
    ("cust-0005", "Hugo", "Petit", "hugo.petit@example.org", None, None, "59000", "Lille"),
]

_RECORDS = [  # record_id, customer_id, person index or None (anonymous)
    ("loyalty_card:C001", "cust-0001", 0),
    ("web_account:A001", "cust-0001", 0),
    ("email_subscriber:zebulon.quatremare@example.org", "cust-0001", 0),
    ("callcenter_caller:T001", "cust-0001", 0),
    ("web_cookie:111.1700000000", "cust-0001", None),
    ("web_account:A002", "cust-0002", 1),
    ("email_subscriber:marie.durand@example.org", "cust-0002", 1),
    ("web_account:A003", "cust-0003", 2),
    ("loyalty_card:C004", "cust-0004", 3),
    ("email_subscriber:hugo.petit@example.org", "cust-0005", 4),
    ("web_cookie:999.1700000000", "cust-0006", None),
]

_LINEAGE = (
    "'landing/x.csv' as _source_file, 1::bigint as _source_row, 'b1' as _batch_id, "
    "timestamp '2024-06-01' as _loaded_at"
)

RAW_SQL = f"""
create schema raw; create schema ops; create schema identity; create schema marts;
create table raw.pos__receipt_lines as select * from (values
  ('S01', 'R1', 1, timestamp '2024-01-10 10:00', 'SKU1', 'Pull', 'Mode', 1, 49.90, 0.00, null,
   'CB', 'C001', 'QUATREMARE', 'Zébulon', 'Zebulon.Quatremare@example.org', '06 12 34 56 78',
   '75011', 'Paris', date '1980-05-04', true, true),
  ('S01', 'R2', 1, timestamp '2024-01-10 11:00', 'SKU2', 'Jean', 'Mode', 1, 79.00, 0.00, null,
   'CB', 'C004', 'BERNARD', 'Léa', 'lea.bernard@example.org', '06 11 22 33 44', '33000',
   'Bordeaux', date '1990-09-09', true, null),
  ('S01', 'R3', 1, timestamp '2024-02-10 11:00', 'SKU3', 'Robe', 'Mode', 1, 99.00, 0.00, null,
   'CB', 'C004', 'BERNARD', 'Léa', 'lea.bernard@example.org', '06 11 22 33 44', '33000',
   'Bordeaux', date '1990-09-09', false, null),
  ('S02', 'R4', 1, timestamp '2024-02-11 12:00', 'SKU1', 'Pull', 'Mode', 2, 49.90, 5.00, null,
   'ESPECES', null, null, null, null, null, null, null, null, null, null)
) t(store_id, receipt_id, line_number, sold_at, sku, product_name, category, quantity,
    unit_price, discount_amount, unit_cost, payment_method, loyalty_card_id, customer_last_name,
    customer_first_name, customer_email, customer_phone, customer_postcode, customer_city,
    customer_birth_date, email_opt_in, sms_opt_in), (select {_LINEAGE});
create table raw.web__accounts as select * from (values
  ('A001', 'zebulon.quatremare@example.org', 'Zébulon', 'Quatremare', date '1980-05-04',
   '+33 6 12 34 56 78', '3 rue Oberkampf', '75011', 'Paris', null, null,
   timestamp '2023-05-01', timestamp '2023-05-01'),
  ('A002', 'marie.durand@example.org', 'Marie', 'Durand', date '1975-02-01', null, null,
   '69003', 'Lyon', true, null, timestamp '2024-01-01', timestamp '2024-01-01'),
  ('A003', 'paul.martin@example.org', 'Paul', 'Martin', null, '0699887766', null, '13001',
   'Marseille', true, false, timestamp '2024-01-05', timestamp '2024-01-05')
) t(account_id, email, first_name, last_name, birth_date, phone, address_line, postcode, city,
    email_opt_in, sms_opt_in, created_at, updated_at), (select {_LINEAGE});
create table raw.web__events as select * from (values
  (timestamp '2024-03-01 09:00', 'login', '111.1700000000', 'A001', '1', 'https://shop/p', 'P',
   null, null, null::json, null::json, 'mobile', 'Paris', 'google', 'organic'),
  (timestamp '2024-03-01 09:05', 'page_view', '999.1700000000', null, '2', 'https://shop/',
   'Home', null, null, null::json, null::json, 'desktop', 'Lyon', 'direct', 'none')
) t(event_at, event_name, user_pseudo_id, user_id, session_id, page_location, page_title,
    transaction_id, purchase_revenue, items, event_params, device_category, geo_city,
    traffic_source, traffic_medium), (select {_LINEAGE});
create table raw.email__subscribers as select * from (values
  ('zebulon.quatremare@example.org', 'Zébulon', 'Quatremare', 'subscribed',
   timestamp '2024-01-01', timestamp '2024-01-01', '75011'),
  ('marie.durand@example.org', 'Marie', 'Durand', 'subscribed', timestamp '2023-06-01',
   timestamp '2023-06-01', '69003'),
  ('hugo.petit@example.org', 'Hugo', 'Petit', 'subscribed', timestamp '2024-02-01',
   timestamp '2024-02-01', '59000')
) t(email, first_name, last_name, status, opted_in_at, status_changed_at, postcode),
  (select {_LINEAGE});
create table raw.email__activity as select * from (values
  ('c1', 'Soldes', 'marie.durand@example.org', 'unsubscribe', timestamp '2024-03-01', null, null),
  ('c1', 'Soldes', 'zebulon.quatremare@example.org', 'open', timestamp '2024-03-01', null, null)
) t(campaign_id, campaign_name, email, activity_type, activity_at, url, bounce_type),
  (select {_LINEAGE});
create table raw.callcenter__tickets as select * from (values
  ('T001', timestamp '2024-04-01 10:00', timestamp '2024-04-01 10:10', 'QUATREMARE Zébulon',
   '06.12.34.56.78', null, 'C001', 'phone', 'delivery', 'closed', 600, 5,
   'Client Quatremare ravi')
) t(ticket_id, opened_at, closed_at, caller_name, caller_phone, caller_email, loyalty_card_id,
    contact_channel, reason, status, duration_seconds, csat, verbatim), (select {_LINEAGE});
create table ops.quarantine as select * from (values
  ('b1', 'pos', 'receipt_lines', 'landing/pos/pos_receipts_20240110.csv', 7::bigint,
   'S01;R9;1;xx/01/2024;SKU1;Pull;Mode;1;49,90;0;;CB;C001;QUATREMARE;Zébulon;zebulon.quatremare@example.org;0612345678',
   'bad date', timestamp '2024-06-01'),
  ('b1', 'pos', 'receipt_lines', 'landing/pos/pos_receipts_20240110.csv', 8::bigint,
   'S01;R8;1;yy/01/2024;SKU1;Pull;Mode;1;49,90;0;;CB;;;;;', 'bad date', timestamp '2024-06-01')
) t(batch_id, source, entity, file_path, source_row, raw_record, reason, quarantined_at);
"""


def build_identity(con) -> None:
    """identity.* tables consistent with _PEOPLE and _RECORDS."""
    rows = []
    for record_id, customer_id, person in _RECORDS:
        identity_type, source_key = record_id.split(":", 1)
        attrs = _PEOPLE[person][1:] if person is not None else (None,) * 7
        rows.append(
            (
                record_id,
                identity_type,
                identity_type.split("_")[0],
                source_key,
                *attrs,
                person is None,
                customer_id,
            )
        )
    con.execute("""create table identity.identity_records (record_id varchar,
      identity_type varchar, source varchar, source_key varchar, first_name varchar,
      last_name varchar, email varchar, phone varchar, birth_date date, postcode varchar,
      city varchar, address_line varchar, first_seen_at timestamp, last_seen_at timestamp,
      is_anonymous boolean)""")
    con.executemany(
        "insert into identity.identity_records values (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, null, timestamp '2024-01-01', timestamp '2024-03-01', ?)",
        [r[:-1] for r in rows],
    )
    # the hand-made values are already as a person would type them: display = value
    for a in ("first_name", "last_name", "email", "city", "address_line"):
        con.execute(f"alter table identity.identity_records add column {a}_display varchar")
    con.execute(
        "update identity.identity_records set first_name_display = first_name, "
        "last_name_display = last_name, email_display = email, city_display = city, "
        "address_line_display = address_line"
    )
    # config/identity.yml's default trust order for every attribute, as an identity run
    # writes it: the golden-records mart ranks the records by it
    con.execute("""create table identity.survivorship_trust as
      select a.attribute, t.identity_type, t.trust_rank
      from (values ('first_name'), ('last_name'), ('email'), ('phone'), ('birth_date'),
                   ('address_line'), ('postcode'), ('city')) a(attribute)
      cross join (values ('web_account', 0), ('loyalty_card', 1), ('callcenter_caller', 2),
                         ('email_subscriber', 3)) t(identity_type, trust_rank)""")
    con.execute(
        "create table identity.customer_records as select record_id, identity_type, "
        "source_key, customer_id, 'run-1' as run_id from (values "
        + ", ".join(f"('{r[0]}', '{r[1]}', '{r[3]}', '{r[-1]}')" for r in rows)
        + ") t(record_id, identity_type, source_key, customer_id)"
    )
    con.execute("""create table identity.customers as
      select customer_id, true as is_active, bool_and(r.is_anonymous) as is_anonymous,
        count(*) as record_count, 'run-1' as created_run_id, 'run-1' as updated_run_id,
        false as is_oversized, timestamp '2024-01-01' as created_at
      from identity.customer_records join identity.identity_records r using (record_id)
      group by customer_id""")
    con.execute(
        "create table identity.customer_aliases (retired_customer_id varchar, "
        "customer_id varchar, run_id varchar)"
    )
    con.execute("""create table identity.links as select 'run-1' as run_id, * from (values
      ('loyalty_card:C001', 'email_subscriber:zebulon.quatremare@example.org', 'deterministic',
       'same_email', 20.0, 1.0, 'email exact'),
      ('loyalty_card:C001', 'callcenter_caller:T001', 'probabilistic', 'phone', 12.0, 0.99,
       'phone exact')) t(record_id_l, record_id_r, link_type, rule, match_weight,
       match_probability, top_comparisons)""")
    con.execute(
        "create table identity.id_history as select 'run-1' as run_id, customer_id, "
        "'created' as event, null::varchar as from_customer_id, null::varchar as "
        "to_customer_id, timestamp '2024-06-01' as recorded_at, null::varchar as "
        "detail from identity.customers"
    )
    from activation.golden_record import DISPLAYED_ATTRIBUTES

    # what the golden-records mart gives these records (each customer's records agree), for
    # the hand-made marts; a dbt build (the consented fixture) rebuilds it from the records
    picked = ", ".join(
        f"r.{a}, {f'r.{a} as {a}_display, ' if a in DISPLAYED_ATTRIBUTES else ''}"
        f"case when r.{a} is not null then r.identity_type end as "
        f"{a}_source, case when r.{a} is not null then r.last_seen_at end as "
        f"{a}_updated_at"
        for a in ATTRIBUTES
    )
    con.execute(f"""create table marts.golden_records as
      select c.customer_id, {picked}
      from identity.customers c
      left join (select * from identity.identity_records join identity.customer_records
                 using (record_id) where not is_anonymous
                 qualify row_number() over (partition by customer_id order by record_id) = 1) r
        using (customer_id)""")


MARTS_SQL = """
create table marts.customer_profile as select g.customer_id, g.first_name, g.last_name,
  g.email, g.phone, v.lifetime_revenue, v.order_count
from marts.golden_records g join (values ('cust-0001', 350.0, 4), ('cust-0002', 500.0, 6),
  ('cust-0003', 250.0, 2), ('cust-0004', 1200.0, 9), ('cust-0005', 900.0, 7))
  v(customer_id, lifetime_revenue, order_count) using (customer_id);
create table marts.customer_segments as select * from (values ('cust-0001', 'dormant'),
  ('cust-0002', 'dormant'), ('cust-0003', 'dormant'), ('cust-0004', 'vip'),
  ('cust-0005', 'vip')) t(customer_id, segment);
create table marts.customer_timeline as select * from (values
  ('cust-0001', timestamp '2024-01-10 10:00', 'purchase', 'pos:S01:R1', 'Pull 49.90'),
  ('cust-0001', timestamp '2024-04-01 10:00', 'callcenter_ticket', 'callcenter:T001',
   'QUATREMARE Zébulon: delivery'),
  ('cust-0002', timestamp '2024-03-01 00:00', 'email_unsubscribe', 'email:c1', 'Soldes')
) t(customer_id, occurred_at, event_type, source_ref, detail);
"""
