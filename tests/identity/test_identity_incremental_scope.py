"""An incremental run touches only what changed: standardisation, scoring and the result."""

from __future__ import annotations

import logging
from datetime import date

from identity_rows import DOB_A, DOB_B, account, add_rows, card, query, ticket

import identity
from core.warehouse import connect

_RECORDS = "select * exclude (fingerprint) from identity.identity_records order by record_id"
_MEMBERS = "select record_id, customer_id from identity.customer_records order by record_id"
_LINKS = (  # a re-scored pair may come out the other way round (predict_between's order)
    "select least(record_id_l, record_id_r), greatest(record_id_l, record_id_r), link_type, "
    "round(match_weight, 6) from identity.links order by all"
)
# what the guards decided at the last run (its run id differs between the two runs compared)
_GUARDED = (
    "select identifier_type, identifier_value, reason, record_count "
    "from identity.blocked_identifiers "
    "where run_id = (select max_by(run_id, finished_at) from identity.runs) order by all",
    "select event_type, record_id_l, record_id_r, identifier_value, detail "
    "from identity.guard_events where event_type in ('blocked_identifier', 'cardinality_split') "
    "and run_id = (select max_by(run_id, finished_at) from identity.runs) order by all",
    # the links they allow (a kept probabilistic link keeps the weight it was scored with)
    "select record_id_l, record_id_r, rule, top_comparisons from identity.links "
    "where link_type = 'deterministic' order by all",
)
_JUNK = "liste.attente@boutique-demo.fr"  # typed for walk-in customers: many people's
_TILL_CARD = "2501999000017"  # a cashier's card, typed for callers who had none
_HOUSEHOLD = "foyer.altamira@orange.fr"


def _walk_in(i: int):
    return account(
        f"JK{i:02d}",
        f"Prenom{i:02d}x",
        f"Nomjunk{i:02d}",
        email=_JUNK,
        birth=date(1950 + i, 1, 1 + i),
        postcode=f"{10000 + i * 7}",
    )


def test_changed_source_value_is_the_only_record_standardised_and_scored(warehouse):
    identity.resolve(warehouse)
    before = {row[0]: row for row in query(warehouse, _RECORDS)}
    account_id = query(warehouse, "select min(account_id) from raw.web__accounts")[0][0]
    with connect(warehouse) as con:
        con.execute(
            "update raw.web__accounts set email = ' Jean.NewAddress+promo@GMIAL.com ' "
            "where account_id = ?",
            [account_id],
        )
    summary = identity.resolve(warehouse)
    assert summary["mode"] == "incremental" and summary["scored_records"] == 1
    # its write is in the file, not left in a write-ahead log (an incremental run defers
    # DuckDB's automatic checkpoint until its connection closes)
    wal = warehouse.duckdb_path.with_name(warehouse.duckdb_path.name + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0
    after = {row[0]: row for row in query(warehouse, _RECORDS)}
    changed = f"web_account:{account_id}"
    # the changed record is standardised again; every other row is the stored one
    assert after[changed][6] == "jeannewaddress@gmail.com" != before[changed][6]
    assert {k: v for k, v in after.items() if k != changed} == {
        k: v for k, v in before.items() if k != changed
    }
    incremental = (query(warehouse, _MEMBERS), query(warehouse, _LINKS))
    # scoring the changed record against its blocking candidates only misses nothing
    identity.resolve(warehouse, full=True)
    assert (query(warehouse, _MEMBERS), query(warehouse, _LINKS)) == incremental


def test_guards_kept_between_runs_decide_as_a_full_run_when_shared_identifiers_change(
    warehouse, caplog
):
    # the first run guards every value and stores each value's results: some change below,
    # others (a block-listed address, a second till's card, a shared phone) stay as they are
    add_rows(
        warehouse,
        accounts=[_walk_in(i) for i in range(19)]  # over max_people, under the ceiling
        + [account(f"TT{i}", f"Test{i}x", "Testeur", email="test@test.com") for i in (1, 2)],
        receipts=[
            card(_TILL_CARD, "Romane", "CAISSIERE", birth=DOB_A),
            card("2501999000024", "Hugo", "VENDEUR", birth=DOB_B),
            card("CHB2", "Camille", "ALTAMIRA", email=_HOUSEHOLD, birth=DOB_B),
        ],
        tickets=[
            ticket("TILL0", name="Dufresnoy Marius", card_id=_TILL_CARD),
            ticket("TILL9", name="Pemberton Achille", card_id="2501999000024"),
            ticket("PH1", name="Lemaire Anouk", phone="0611223344"),
            ticket("PH2", name="Lemaire Anouk", phone="06 11 22 33 44"),
            ticket("PH3", name="Rossignol Pierre", phone="0622334455"),
            ticket("PH4", name="Rossignol Pierre", phone="06 22 33 44 55"),
        ],
    )
    identity.resolve(warehouse)
    # then the holders of some shared values change: two more walk-ins (now over the
    # frequency ceiling), another caller on the till's card, a second person on the
    # household's address, and one holder of a shared phone removed from the source
    add_rows(
        warehouse,
        accounts=[_walk_in(19), _walk_in(20)]
        + [account("HB1", "Camille", "Altamira", email=_HOUSEHOLD, birth=DOB_A)],
        tickets=[ticket("TILL1", name="Barbotin Leonie", card_id=_TILL_CARD)],
    )
    with connect(warehouse) as con:
        con.execute("delete from raw.callcenter__tickets where ticket_id = 'PH2'")
    with caplog.at_level(logging.INFO, logger="identity._guard_cache"):
        summary = identity.resolve(warehouse)
    assert summary["mode"] == "incremental"
    # only the values the new, changed and removed records hold were guarded again
    assert any("identifier values guarded again" in m for m in caplog.messages)
    incremental = [query(warehouse, sql) for sql in (_MEMBERS, *_GUARDED)]
    blocked, events, links = incremental[1:]
    assert ("email", _JUNK, "frequency_ceiling", 21) in blocked
    assert ("email", "test@test.com", "blocklist", 2) in blocked
    refused = [e[2] for e in events if e[0] == "cardinality_split"]
    assert {"callcenter_caller:TILL1", "callcenter_caller:TILL9"} <= set(refused)
    linked = {(left, right) for left, right, *_ in links}
    assert ("callcenter_caller:PH3", "callcenter_caller:PH4") in linked
    assert not any("callcenter_caller:PH2" in pair for pair in linked)

    identity.resolve(warehouse, full=True)
    assert [query(warehouse, sql) for sql in (_MEMBERS, *_GUARDED)] == incremental


def test_incremental_scoring_gives_splink_new_records_and_only_their_blocking_candidates(
    warehouse,
):
    """The new record and the unchanged records sharing a blocking key with it reach Splink,
    each shaped as a full run shapes it (people counts over every record), nothing else."""
    from identity import _resolve, _scoring
    from identity._config import for_run, load_identity_config, load_identity_mappings
    from identity._stages import Run, run_stages

    identity.resolve(warehouse)
    mail = query(
        warehouse,
        "select email from identity.identity_records where email is not null and email not in "
        "(select identifier_value from identity.blocked_identifiers) "
        "group by email having count(*) >= 2 order by email limit 1",
    )[0][0]
    add_rows(warehouse, accounts=[account("NEW01", "Zoe", "Quintal", email=mail, birth=DOB_A)])
    config = for_run(load_identity_config(warehouse.identity_config_path), warehouse)
    upto = [s.name for s in _resolve.STAGES].index("gather the run's links")
    with connect(warehouse) as con:
        run = Run(con, warehouse, config, load_identity_mappings(warehouse.sources_dir), "t")
        try:
            run_stages(run, _resolve.STAGES[:upto])
            assert run.mode == "incremental" and run.summary["scored_records"] == 1
            given = {name: run.splink._tables[name] for name in ("new_records", "existing_records")}
            expected = _scoring.model_records_sql()  # every record, as a full run sees them
            for relation in given.values():
                ids = f"select record_id from {relation}"
                for a, b in ((relation, f"({expected})"), (f"({expected})", relation)):
                    diff = f"select * from {a} where record_id in ({ids}) except all "
                    diff += f"select * from {b} where record_id in ({ids})"
                    assert con.execute(f"select count(*) from ({diff})").fetchone()[0] == 0
            new = {
                r[0]
                for r in con.execute(f"select record_id from {given['new_records']}").fetchall()
            }
            existing = {
                r[0]
                for r in con.execute(
                    f"select record_id from {given['existing_records']}"
                ).fetchall()
            }
            same_mail = {
                r[0]
                for r in con.execute(
                    "select record_id from identity.identity_records "
                    "where email = ? and not is_anonymous",
                    [mail],
                ).fetchall()
            }
            # blocking on e-mail alone makes its holders candidates; far from every record
            assert new == {"web_account:NEW01"} and same_mail <= existing
            records = con.execute("select count(*) from identity.identity_records").fetchone()[0]
            assert len(existing) < records / 4
        finally:
            if run.splink is not None:
                run.splink.close()


def test_a_record_the_source_withdraws_leaves_the_review_queue_on_either_side(warehouse):
    identity.resolve(warehouse)
    withdrawn = query(
        warehouse,
        "select record_id_r from identity.review_pairs "
        "where record_id_r like 'web_account:%' order by 1 limit 1",
    )[0][0]
    query(
        warehouse,
        "delete from raw.web__accounts where account_id = ?",
        [withdrawn.removeprefix("web_account:")],
    )

    assert identity.resolve(warehouse)["mode"] == "incremental"

    assert not query(
        warehouse,
        "select * from identity.review_pairs where ? in (record_id_l, record_id_r)",
        [withdrawn],
    )
