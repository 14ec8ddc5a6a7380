"""A small clean warehouse in a real DuckDB file: the tables each quality stage reads.

Counts, worked out so tests can assert on them:
- raw.pos__receipt_lines: 600 lines (i = 0..599), every 2nd with a loyalty card, prices
  9.99..58.99, sold 2026-10-01 onwards every 7 minutes (last: 2026-10-03 21:53).
- ops.load_ledger for pos: 5000 (history), 1200, 1100 rows read: latest ratio 0.92.
- identity: 280 records over 100 customers: C0001..C0060 hold 4 (a loyalty card, a web
  account, a cookie, a subscriber), C0061..C0100 only a loyalty card, so 60 % of customers
  are multi-source; one alias C0101 -> C0001.
- marts: one profile and one segment per customer; 2 orders per customer in int_orders whose
  revenue sums to the profile's lifetime_revenue.
"""

from __future__ import annotations

from pathlib import Path

RAW_SQL = """
create schema raw; create schema ops; create schema identity; create schema marts;
create schema intermediate;
create table raw.pos__receipt_lines as
select 'M' || lpad((i % 5)::varchar, 3, '0') as store_id, 'T' || (i // 3) as receipt_id,
       (i % 3 + 1)::integer as line_number,
       timestamp '2026-10-01 00:00' + to_minutes(i * 7) as sold_at,
       'SKU' || (i % 40) as sku, 'Produit ' || (i % 40) as product_name, 'Maison' as category,
       (1 + i % 3)::integer as quantity, (9.99 + i % 50)::decimal(12,2) as unit_price,
       (case when i % 10 = 0 then 1 else 0 end)::decimal(12,2) as discount_amount,
       (4.5 + i % 20)::decimal(12,2) as unit_cost,
       ['CB', 'ESPECES', 'CHEQUE', 'SANS_CONTACT'][i % 4 + 1] as payment_method,
       case when i % 2 = 0 then 'C' || lpad((i % 60)::varchar, 8, '0') end as loyalty_card_id,
       'Dupont' as customer_last_name, 'Jean' as customer_first_name,
       'client' || (i % 60) || '@example.fr' as customer_email,
       '06 ' || lpad((i % 60)::varchar, 2, '0') || ' 12 34 56' as customer_phone,
       '75011' as customer_postcode, 'Paris' as customer_city,
       date '1970-01-01' + ((i % 60) * 200)::integer as customer_birth_date,
       i % 3 = 0 as email_opt_in, i % 5 = 0 as sms_opt_in,
       'pos/pos_receipts_20261003.csv' as _source_file, (i + 1)::bigint as _source_row,
       'b3' as _batch_id, timestamp '2026-10-04 02:00' as _loaded_at
from range(600) t(i);

create table raw.web__events as
select timestamp '2026-10-01 00:00' + to_minutes(i * 3) as event_at,
       ['session_start', 'page_view', 'view_item', 'add_to_cart', 'purchase'][i % 5 + 1]
           as event_name,
       '12345' || (i % 80) || '.1700000000' as user_pseudo_id,
       case when i % 4 = 0 then 'A' || (i % 40) end as user_id, 'S' || (i // 10) as session_id,
       'https://shop.example/p' as page_location, 'Produit' as page_title,
       case when i % 5 = 4 then 'W' || i end as transaction_id,
       (case when i % 5 = 4 then 20 + i % 30 end)::decimal(12,2) as purchase_revenue,
       '[]'::json as items, '[]'::json as event_params, 'mobile' as device_category,
       'Paris' as geo_city, 'google' as traffic_source, 'organic' as traffic_medium,
       'web/ga4_events_20261003.jsonl' as _source_file, (i + 1)::bigint as _source_row,
       'w1' as _batch_id, timestamp '2026-10-04 02:00' as _loaded_at
from range(500) t(i);

create table raw.web__accounts as
select 'A' || i as account_id, 'compte' || i || '@example.fr' as email, 'Jean' as first_name,
       'Dupont' as last_name, date '1980-05-01' + i::integer as birth_date,
       '+33 6 12 34 56 ' || lpad(i::varchar, 2, '0') as phone, '1 rue de la Paix' as address_line,
       '75002' as postcode, 'Paris' as city, true as email_opt_in, false as sms_opt_in,
       timestamp '2025-01-01 10:00' + to_days(i) as created_at,
       timestamp '2026-01-01 10:00' + to_days(i) as updated_at,
       'web/eshop_accounts_20261003.parquet' as _source_file, (i + 1)::bigint as _source_row,
       'a1' as _batch_id, timestamp '2026-10-04 02:00' as _loaded_at
from range(40) t(i);

create table raw.email__subscribers as
select 'abonne' || i || '@example.fr' as email, 'Marie' as first_name, 'Curie' as last_name,
       ['subscribed', 'unsubscribed', 'cleaned', 'pending'][i % 4 + 1] as status,
       timestamp '2025-03-01 09:00' + to_days(i) as opted_in_at,
       timestamp '2026-03-01 09:00' + to_days(i) as status_changed_at, '69001' as postcode,
       'email/subscribers_20261003.csv' as _source_file, (i + 1)::bigint as _source_row,
       's1' as _batch_id, timestamp '2026-10-04 02:00' as _loaded_at
from range(50) t(i);

create table raw.email__activity as
select 'CMP' || (i % 3) as campaign_id, 'Soldes' as campaign_name,
       'abonne' || (i % 50) || '@example.fr' as email,
       ['sent', 'delivered', 'open', 'click'][i % 4 + 1] as activity_type,
       timestamp '2026-09-01 09:00' + to_minutes(i) as activity_at, null::varchar as url,
       null::varchar as bounce_type,
       'email/activity_20261003.csv' as _source_file, (i + 1)::bigint as _source_row,
       'e1' as _batch_id, timestamp '2026-10-04 02:00' as _loaded_at
from range(200) t(i);

create table raw.callcenter__tickets as
select 'K' || i as ticket_id, timestamp '2026-06-01 09:00' + to_hours(i) as opened_at,
       timestamp '2026-06-01 09:30' + to_hours(i) as closed_at, 'DUPONT Jean' as caller_name,
       '06.12.34.56.' || lpad(i::varchar, 2, '0') as caller_phone, null::varchar as caller_email,
       null::varchar as loyalty_card_id, ['phone', 'chat', 'email'][i % 3 + 1] as contact_channel,
       'livraison' as reason, ['open', 'closed', 'escalated'][i % 3 + 1] as status,
       (60 + i)::integer as duration_seconds,
       case when i % 2 = 0 then (i % 5 + 1)::integer end as csat, null::varchar as verbatim,
       'callcenter/tickets_20261003.csv' as _source_file, (i + 1)::bigint as _source_row,
       'k1' as _batch_id, timestamp '2026-10-04 02:00' as _loaded_at
from range(30) t(i);

create table ops.load_ledger as
select * from (values
    ('b1', 'pos', 'receipt_lines', 'pos/pos_receipts_20260919.csv', 5000,
     timestamp '2026-09-20 02:00'),
    ('b2', 'pos', 'receipt_lines', 'pos/pos_receipts_20260926.csv', 1200,
     timestamp '2026-09-27 02:00'),
    ('b3', 'pos', 'receipt_lines', 'pos/pos_receipts_20261003.csv', 1100,
     timestamp '2026-10-04 02:00')
) v(batch_id, source, entity, file_path, rows_read, started_at);
alter table ops.load_ledger add column rows_accepted bigint;
update ops.load_ledger set rows_accepted = rows_read;
alter table ops.load_ledger add column status varchar default 'loaded';
"""

IDENTITY_SQL = """
create table identity.customers as
select 'C' || lpad(c::varchar, 4, '0') as customer_id, true as is_active,
       false as is_anonymous, 4 as record_count, false as is_oversized
from range(1, 101) t(c)
union all select 'C0101', false, false, 0, false;

create table identity.identity_records as
select t.identity_type || ':' || t.identity_type[1:3] || c as record_id, t.identity_type,
       t.source, t.identity_type[1:3] || c as source_key, c
from range(1, 101) r(c)
cross join (values ('loyalty_card', 'pos'), ('web_account', 'web'), ('web_cookie', 'web'),
                   ('email_subscriber', 'email')) t(identity_type, source)
where c <= 60 or t.source = 'pos';

create table identity.customer_records as
select record_id, identity_type, source_key, 'C' || lpad(c::varchar, 4, '0') as customer_id,
       'r1' as run_id
from identity.identity_records;
alter table identity.identity_records drop column c;

create table identity.customer_aliases as
select 'C0101' as retired_customer_id, 'C0001' as customer_id, 'r1' as run_id;
"""

MARTS_SQL = """
create table intermediate.int_orders as
select 'O' || c || '-' || k as order_id, 'C' || lpad(c::varchar, 4, '0') as customer_id,
       (10 * c + k)::decimal(12,2) as revenue
from range(1, 101) r(c) cross join range(2) k(k);

create table marts.customer_profile as
select customer_id, sum(revenue) as lifetime_revenue, count(*) as order_count
from intermediate.int_orders group by customer_id;

create table marts.customer_segments as
select customer_id,
       ['vip', 'loyal', 'new', 'at_risk', 'dormant', 'prospect']
           [(hash(customer_id) % 6)::bigint + 1] as segment,
       date '2026-09-01' as segment_entered_at
from marts.customer_profile;
"""


def build_clean_warehouse(path: Path) -> Path:
    """Write every table the three quality stages read, all passing, into ``path``."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute(RAW_SQL)
        con.execute(IDENTITY_SQL)
        con.execute(MARTS_SQL)
    finally:
        con.close()
    return path
