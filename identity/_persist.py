"""The `identity.*` tables: their shape, the previous run's state, and one transactional write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.warehouse import one_row, scalar
from identity import _guards, _ids, _links, _watermark
from identity._config import ATTRIBUTES, DISPLAYED, IdentityConfig
from identity._records import RECORDS, STRONG_IDS

if TYPE_CHECKING:
    import duckdb

PREV_RECORDS = "_identity_prev_records"

_DDL = """
create schema if not exists identity;
create table if not exists identity.identity_records (record_id varchar, identity_type varchar,
  source varchar, source_key varchar, first_name varchar, last_name varchar, email varchar,
  phone varchar, birth_date date, postcode varchar, city varchar, address_line varchar,
  first_seen_at timestamp, last_seen_at timestamp, first_name_display varchar,
  last_name_display varchar, email_display varchar, city_display varchar,
  address_line_display varchar, is_anonymous boolean, fingerprint varchar);
create table if not exists identity.record_identifiers (record_id varchar,
  identifier_type varchar, identifier_value varchar);
create table if not exists identity.customer_records (record_id varchar, identity_type varchar,
  source_key varchar, customer_id varchar, run_id varchar);
create table if not exists identity.customers (customer_id varchar, is_active boolean,
  is_anonymous boolean, record_count bigint, created_run_id varchar, updated_run_id varchar,
  is_oversized boolean, created_at timestamp);
create table if not exists identity.customer_aliases (retired_customer_id varchar,
  customer_id varchar, run_id varchar);
create table if not exists identity.id_history (run_id varchar, customer_id varchar,
  event varchar, from_customer_id varchar, to_customer_id varchar, recorded_at timestamp,
  detail varchar);
create table if not exists identity.links (run_id varchar, record_id_l varchar,
  record_id_r varchar, link_type varchar, rule varchar, match_weight double,
  match_probability double, top_comparisons varchar);
create table if not exists identity.refused_links (run_id varchar, record_id_l varchar,
  record_id_r varchar, conflict varchar, match_weight double, match_probability double,
  top_comparisons varchar);
create table if not exists identity.runs (run_id varchar, mode varchar, started_at timestamp,
  finished_at timestamp, record_count bigint, scored_record_count bigint,
  deterministic_links bigint, probabilistic_links bigint, refused_pairs bigint,
  customers bigint, created bigint, merged bigint, split bigint, retired bigint,
  oversized_customers bigint, model_path varchar, match_threshold double, stage_seconds varchar,
  changed_customers bigint);
-- records stored before display forms: their fingerprint changed, the next run rewrites them
alter table identity.identity_records add column if not exists first_name_display varchar;
alter table identity.identity_records add column if not exists last_name_display varchar;
alter table identity.identity_records add column if not exists email_display varchar;
alter table identity.identity_records add column if not exists city_display varchar;
alter table identity.identity_records add column if not exists address_line_display varchar;
-- runs recorded before the column existed: null, "not counted"
alter table identity.runs add column if not exists changed_customers bigint;
"""


def _record_columns() -> str:
    """What golden records (the dbt mart) read of a record: its values, display forms, date."""
    displays = [f"{a}_display" for a in DISPLAYED]
    return ", ".join(["record_id", "identity_type", *ATTRIBUTES, *displays, "last_seen_at"])


def survivorship_trust_sql(config: IdentityConfig) -> str:
    """config/identity.yml's survivorship trust order as rows (attribute, identity_type,
    trust_rank), the data the golden-records mart ranks candidates by."""
    rows = [
        f"('{attribute}', '{identity_type}', {rank})"
        for attribute in ATTRIBUTES
        for rank, identity_type in enumerate(config.survivorship.rule_for(attribute).trust)
    ]
    if not rows:
        return (
            "select null::varchar as attribute, null::varchar as identity_type, "
            "null::integer as trust_rank where false"
        )
    return f"select * from (values {', '.join(rows)}) t(attribute, identity_type, trust_rank)"


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the identity schema and empty tables if missing."""
    con.execute(_DDL)


def load_previous(con: duckdb.DuckDBPyConnection) -> bool:
    """Copy the previous run's membership into temp tables; True when there was one."""
    ensure_tables(con)
    con.execute(
        f"create or replace temp table {_ids.PREVIOUS} as "
        "select record_id, customer_id from identity.customer_records"
    )
    con.execute(
        f"create or replace temp table {_ids.PREV_CUSTOMERS} as select * from identity.customers"
    )
    con.execute(
        f"create or replace temp table {PREV_RECORDS} as "
        "select record_id, fingerprint from identity.identity_records"
    )
    return scalar(con, f"select count(*) from {_ids.PREVIOUS}") > 0


def _changed_keys(con: duckdb.DuckDBPyConnection, mode: str) -> None:
    """Keys whose rows this run rewrites (everything on a full run)."""
    removed = (
        f"select record_id from {PREV_RECORDS} where record_id not in "
        f"(select record_id from {RECORDS})"
    )
    rescored = (
        "select record_id from _identity_rescored"
        if mode == "incremental"
        else f"select record_id from {RECORDS}"
    )
    con.execute(
        f"create or replace temp table _identity_changed_records as {rescored} union {removed}"
    )
    con.execute(
        f"create or replace temp table _identity_touched_records as "
        f"select record_id from _identity_scope_records union {removed}"
    )
    con.execute(
        f"create or replace temp table _identity_changed_customers as "
        f"select customer_id from {_ids.ASSIGNED} "
        f"union select retired_customer_id from {_ids.RETIRED}"
    )


def _count_changed_customers(con: duckdb.DuckDBPyConnection, mode: str, members: str) -> int:
    """Customers whose row or records this run changes (created, merged, split, grown,
    retired, or a value, display form or date of one of their records changed): what the
    marts, golden records included, read of identity. Zero means a rebuild of the marts would
    reproduce them, as far as identity goes."""
    scope = (
        "" if mode == "full" else "where customer_id in (select * from _identity_changed_customers)"
    )
    customer_columns = (
        "customer_id, is_active, is_anonymous, record_count, created_run_id, updated_run_id, "
        "is_oversized, created_at"
    )
    record_columns = _record_columns()
    # only rewritten records can differ from their stored row (all of them on a full run)
    rewritten = (
        "" if mode == "full" else "where record_id in (select * from _identity_changed_records)"
    )
    return scalar(
        con,
        f"""
with customers_changed as (
  (select {customer_columns} from _identity_customers_stage {scope}
   except select {customer_columns} from {_ids.PREV_CUSTOMERS} {scope})
  union all
  (select {customer_columns} from {_ids.PREV_CUSTOMERS} {scope}
   except select {customer_columns} from _identity_customers_stage {scope})
), records_changed as (
  (select {record_columns} from {RECORDS} {rewritten}
   except select {record_columns} from identity.identity_records {rewritten})
  union all
  (select {record_columns} from identity.identity_records {rewritten}
   except select {record_columns} from {RECORDS} {rewritten})
), owners as (
  select record_id, customer_id from {members}
  union select record_id, customer_id from {_ids.PREVIOUS}
)
select count(distinct customer_id) from (
  select customer_id from customers_changed
  union all
  select o.customer_id from records_changed r join owners o using (record_id)
)""",
    )


def write_run(
    con: duckdb.DuckDBPyConnection, config: IdentityConfig, run_id: str, mode: str, started_at
) -> dict[str, int]:
    """Replace the identity tables with this run's state, in one transaction."""
    members, scope_members = "_identity_members_stage", "_identity_scope_members_stage"
    con.execute(f"""create or replace temp table {scope_members} as
select c.record_id, a.customer_id
from {_ids.CLUSTERS} c join {_ids.ASSIGNED} a using (cluster_id)""")
    con.execute(f"""create or replace temp table {members} as
select * from {scope_members}
union all
select record_id, customer_id from {_ids.PREVIOUS}
where record_id in (select record_id from {RECORDS})
  and record_id not in (select record_id from {scope_members})""")
    con.execute(
        f"""create or replace temp table _identity_customers_stage as
with membership_changed as (
  select m.customer_id, count(*) filter (where p.customer_id is distinct from m.customer_id) > 0
    as changed
  from {members} m left join {_ids.PREVIOUS} p using (record_id) group by m.customer_id
), active as (
  select a.customer_id, true as is_active, bool_and(r.is_anonymous) as is_anonymous,
    any_value(a.record_count) as record_count,
    coalesce(any_value(pc.created_run_id), '{run_id}') as created_run_id,
    case when any_value(mc.changed) or any_value(pc.record_count) <> any_value(a.record_count)
         or any_value(pc.customer_id) is null then '{run_id}' else any_value(pc.updated_run_id) end
      as updated_run_id,
    any_value(a.record_count) > {config.max_cluster_size} as is_oversized,
    coalesce(any_value(pc.created_at), ?::timestamp) as created_at
  from {_ids.ASSIGNED} a join {scope_members} m using (customer_id)
  join {RECORDS} r using (record_id)
  left join {_ids.PREV_CUSTOMERS} pc using (customer_id)
  left join membership_changed mc using (customer_id)
  group by a.customer_id
)
select * from active
union all
select pc.customer_id, pc.is_active and r.retired_customer_id is null, pc.is_anonymous,
  pc.record_count, pc.created_run_id,
  case when r.retired_customer_id is not null then '{run_id}' else pc.updated_run_id end,
  pc.is_oversized, pc.created_at
from {_ids.PREV_CUSTOMERS} pc
left join {_ids.RETIRED} r on r.retired_customer_id = pc.customer_id
where pc.customer_id not in (select customer_id from active)""",
        [started_at],
    )
    if mode == "incremental":  # a full run replaces every table whole: no keys to pick
        _changed_keys(con, mode)
    touched = (
        "where e.record_id_l in (select record_id from _identity_touched_records)"
        if mode == "incremental"
        else ""
    )
    changed = _count_changed_customers(con, mode, members)
    con.execute("begin transaction")
    try:
        con.execute(
            f"create or replace temp table _identity_links_stage as "
            f"select coalesce(p.run_id, '{run_id}') as run_id, e.* "
            f"from _identity_edges e left join identity.links p "
            # one pair may hold several deterministic links (same card and same e-mail)
            f"on p.record_id_l = e.record_id_l and p.record_id_r = e.record_id_r "
            f"and p.link_type = e.link_type and p.rule is not distinct from e.rule {touched}"
        )
        con.execute(
            f"insert into identity.refused_links select '{run_id}', * from {_links.REFUSED}"
            if mode == "incremental"
            else f"create or replace table identity.refused_links as "
            f"select '{run_id}' as run_id, * from {_links.REFUSED}"
        )
        tables = {
            # table: (rows, key column, keys whose rows this run replaces)
            "identity_records": (
                f"select * from {RECORDS}",
                "record_id",
                "_identity_changed_records",
            ),
            "record_identifiers": (
                f"select * from {STRONG_IDS}",
                "record_id",
                "_identity_changed_records",
            ),
            "customer_records": (
                f"select r.record_id, r.identity_type, r.source_key, m.customer_id, "
                f"'{run_id}' as run_id from {RECORDS} r join {scope_members} m using (record_id)",
                "record_id",
                "_identity_touched_records",
            ),
            "customers": (
                "select * from _identity_customers_stage",
                "customer_id",
                "_identity_changed_customers",
            ),
            "links": (
                "select * from _identity_links_stage",
                "record_id_l",
                "_identity_touched_records",
            ),
        }
        for table, (rows, key, keys) in tables.items():
            if mode == "full":
                con.execute(f"create or replace table identity.{table} as {rows}")
                continue
            con.execute(f"delete from identity.{table} where {key} in (select * from {keys})")
            if table == "links":  # a link whose right record changed goes too
                con.execute(
                    f"delete from identity.links where record_id_r in (select * from {keys})"
                )
            con.execute(
                f"insert into identity.{table} by name select * from ({rows}) "
                f"where {key} in (select * from {keys})"
            )
        # the trust order golden records (the dbt mart) rank this run's records by
        con.execute(
            "create or replace table identity.survivorship_trust as "
            + survivorship_trust_sql(config)
        )
        # golden records were identity's before the mart: a stale copy must not outlive a
        # forget
        con.execute("drop table if exists identity.golden_records")
        con.execute(f"""update identity.customer_aliases a set customer_id = r.customer_id
from {_ids.RETIRED} r where a.customer_id = r.retired_customer_id and r.customer_id is not null""")
        con.execute(
            f"insert into identity.customer_aliases select retired_customer_id, customer_id, "
            f"'{run_id}' from {_ids.RETIRED} where customer_id is not null"
        )
        _guards.persist(con, run_id, members)
        con.execute(
            f"insert into identity.id_history select '{run_id}', customer_id, event, "
            f"from_customer_id, to_customer_id, now()::timestamp, detail from {_ids.EVENTS}"
        )
        counts = one_row(
            con,
            f"""select
  (select count(*) from _identity_links_stage where link_type = 'deterministic'),
  (select count(*) from _identity_links_stage where link_type = 'probabilistic'),
  (select count(*) from {_links.REFUSED}),
  (select count(*) from _identity_customers_stage where is_active),
  (select count(*) from {_ids.EVENTS} where event = 'created'),
  (select count(*) from {_ids.EVENTS} where event = 'merged'),
  (select count(distinct customer_id) from {_ids.EVENTS} where event = 'split'),
  (select count(*) from {_ids.EVENTS} where event = 'retired'),
  (select count(*) from _identity_customers_stage where is_active and is_oversized)""",
        )
        names = (
            "deterministic_links",
            "probabilistic_links",
            "refused_pairs",
            "customers",
            "created",
            "merged",
            "split",
            "retired",
            "oversized_customers",
        )
        result = dict(zip(names, counts, strict=True)) | {"changed_customers": changed}
        _watermark.save(con)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return result
