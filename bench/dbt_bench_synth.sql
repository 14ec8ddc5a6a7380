-- Raw and identity tables for bench/dbt_bench.py, synthesised in DuckDB.
-- Placeholders {people} and {attributes} are filled by str.format (so JSON braces are doubled).
create schema raw; create schema identity;
create table people as
select i as person, 'P' || i as pid, i % 100 < 55 as has_card, i % 100 between 30 and 69 as has_account,
       i % 2 = 0 as has_subscription, i % 100 < 12 as calls,
       date '2026-10-31' - cast(random() * 730 as integer) as joined
from range({people}) t(i);
create table raw.pos__receipt_lines as
with receipts as (
  select p.person, p.has_card, r as receipt,
         p.joined + cast(random() * greatest(date '2026-10-31' - p.joined, 1) as integer)
           + interval (cast(random() * 600 as integer)) minute + interval 9 hour as sold_at
  from people p, range(1 + (p.person * 7919) % 8) t(r)
)
select 'S' || lpad(cast(person % 20 as varchar), 2, '0') as store_id, 'R' || person || '-' || receipt as receipt_id,
       cast(l as integer) as line_number, sold_at, 'SKU' || cast(random() * 300 as integer) as sku,
       'Article' as product_name, 'Famille ' || cast(random() * 9 as integer) as category,
       cast(1 + random() * 3 as integer) as quantity, cast(5 + random() * 95 as decimal(12,2)) as unit_price,
       cast(0 as decimal(12,2)) as discount_amount,
       case when random() < 0.7 then cast(2 + random() * 30 as decimal(12,2)) end as unit_cost,
       'CB' as payment_method, case when has_card then 'L' || person end as loyalty_card_id,
       null::varchar as customer_last_name, null::varchar as customer_first_name, null::varchar as customer_email,
       null::varchar as customer_phone, null::varchar as customer_postcode, null::varchar as customer_city,
       null::date as customer_birth_date, case when has_card then random() < 0.6 end as email_opt_in,
       case when has_card then random() < 0.3 end as sms_opt_in,
       'pos_receipts_20261031.csv' as _source_file, 0::bigint as _source_row, 'b1' as _batch_id,
       timestamp '2026-11-01' as _loaded_at
from receipts, range(1 + (person * 31 + receipt) % 4) t(l);
insert into raw.pos__receipt_lines select * replace (timestamp '2026-11-02' as _loaded_at)
from raw.pos__receipt_lines using sample 1 percent;
create table raw.web__events as
with cookies as (
  select person, 'K' || person as cookie, has_account from people
  union all select {people} + i, 'KA' || i, false from range({people} // 5) t(i)
), sessions as (
  select c.*, s as session, date '2026-10-31' - cast(random() * 700 as integer)
         + interval (cast(random() * 86000 as integer)) second as started_at
  from cookies c, range(1 + (c.person * 7919) % 12) t(s)
), events as (
  select s.*, e, case when e = 0 then 'session_start' when e % 5 = 2 then 'view_item'
                      when e = 7 and random() < 0.3 and has_account then 'purchase' else 'page_view' end as event_name
  from sessions s, range(2 + (s.person * 13 + s.session) % 14) t(e)
)
select started_at + interval (e * 30) second as event_at, event_name, cookie as user_pseudo_id,
       case when has_account then 'A' || person end as user_id, cast(session as varchar) as session_id,
       'https://shop/p' || e as page_location, 'Page ' || e as page_title,
       case when event_name = 'purchase' then 'W' || person || '-' || session end as transaction_id,
       case when event_name = 'purchase' then cast(20 + random() * 200 as decimal(12,2)) end as purchase_revenue,
       case when event_name in ('view_item', 'purchase') then cast('[{{"item_id": "SKU' || (e * 7 + person) % 300
         || '", "item_name": "Article", "item_category": "Famille 1", "price": 40.0, "quantity": 1}}]' as json)
         else cast('[]' as json) end as items,
       null::json as event_params, 'mobile' as device_category, 'Paris' as geo_city,
       'google' as traffic_source, 'organic' as traffic_medium,
       'ga4_events_20261031.jsonl' as _source_file, 0::bigint as _source_row, 'b1' as _batch_id,
       timestamp '2026-11-01' as _loaded_at
from events;
create table raw.web__accounts as
select 'A' || person as account_id, 'p' || person || '@example.org' as email, null::varchar as first_name,
       null::varchar as last_name, null::date as birth_date, null::varchar as phone, null::varchar as address_line,
       null::varchar as postcode, null::varchar as city, random() < 0.5 as email_opt_in, random() < 0.2 as sms_opt_in,
       cast(joined as timestamp) as created_at, cast(joined as timestamp) as updated_at,
       'eshop_accounts_20261031.parquet' as _source_file, 0::bigint as _source_row, 'b1' as _batch_id,
       timestamp '2026-11-01' as _loaded_at
from people where has_account;
create table raw.email__subscribers as
select 'p' || person || '@example.org' as email, null::varchar as first_name, null::varchar as last_name,
       case when random() < 0.85 then 'subscribed' else 'unsubscribed' end as status,
       cast(joined as timestamp) as opted_in_at, cast(joined as timestamp) + interval 30 day as status_changed_at,
       null::varchar as postcode, 'subscribers_20261031.csv' as _source_file, 0::bigint as _source_row,
       'b1' as _batch_id, timestamp '2026-11-01' as _loaded_at
from people where has_subscription;
create table raw.email__activity as
with sends as (
  select person, c as campaign, date '2024-11-01' + cast(c * 14 as integer) + interval 8 hour as sent_at
  from people, range(52) t(c) where has_subscription and random() < 0.4
)
select 'CMP' || campaign as campaign_id, 'Campagne ' || campaign as campaign_name,
       'p' || person || '@example.org' as email, action as activity_type,
       sent_at + interval (step) hour as activity_at, case when action = 'click' then 'https://shop/c' end as url,
       null::varchar as bounce_type, 'activity_20261031.csv' as _source_file, 0::bigint as _source_row,
       'b1' as _batch_id, timestamp '2026-11-01' as _loaded_at
from sends, (values ('sent', 0), ('delivered', 1), ('open', 5), ('click', 6)) a(action, step)
where action in ('sent', 'delivered') or (action = 'open' and (person + campaign) % 3 = 0)
   or (action = 'click' and (person + campaign) % 12 = 0);
create table raw.callcenter__tickets as
select 'T' || person || '-' || t as ticket_id, date '2026-10-31' - cast(random() * 700 as integer) + interval 10 hour as opened_at,
       null::timestamp as closed_at, null::varchar as caller_name, null::varchar as caller_phone,
       null::varchar as caller_email, null::varchar as loyalty_card_id, 'phone' as contact_channel,
       'Suivi de commande' as reason, case when random() < 0.1 then 'open' else 'closed' end as status,
       300 as duration_seconds, cast(1 + random() * 4 as integer) as csat, null::varchar as verbatim,
       'tickets_20261031.csv' as _source_file, 0::bigint as _source_row, 'b1' as _batch_id,
       timestamp '2026-11-01' as _loaded_at
from people, range(1 + person % 2) r(t) where calls;
create table identity.customer_records as
with keys as (
  select distinct 'loyalty_card' as identity_type, loyalty_card_id as source_key, loyalty_card_id as k
  from raw.pos__receipt_lines where loyalty_card_id is not null
  union all select distinct 'web_cookie', user_pseudo_id, user_pseudo_id from raw.web__events
  union all select 'web_account', account_id, account_id from raw.web__accounts
  union all select 'email_subscriber', lower(trim(email)), email from raw.email__subscribers
  union all select 'callcenter_caller', ticket_id, ticket_id from raw.callcenter__tickets
)
select identity_type || ':' || source_key as record_id, identity_type, source_key,
       case when k like 'KA%' then 'CA' || substr(k, 3) else 'C' || regexp_extract(k, '(\d+)') end
         as customer_id, 'bench' as run_id
from keys;
create table identity.customers as
select customer_id, true as is_active, bool_and(identity_type = 'web_cookie') as is_anonymous,
       count(*) as record_count, 'bench' as created_run_id, 'bench' as updated_run_id,
       false as is_oversized, timestamp '2026-11-01' as created_at
from identity.customer_records group by customer_id;
-- every record of the customer carrying its e-mail (the contact points consent grants count
-- from); the golden-records mart runs its survivorship over them
create table identity.identity_records as
select record_id, identity_type, source_key, {attributes}, timestamp '2026-01-01' as last_seen_at
from identity.customer_records;
create table identity.survivorship_trust as
select * from (values ('email', 'web_account', 0)) t(attribute, identity_type, trust_rank);
create table identity.customer_aliases (retired_customer_id varchar, customer_id varchar, run_id varchar);
drop table people;
