"""Connected components of the run's links: found in process on DuckDB, the same as Splink's."""

from __future__ import annotations

import random

import duckdb
import pytest


def _components(
    con: duckdb.DuckDBPyConnection, records: str, edges: str, in_process: bool
) -> tuple[set[tuple], set[str]]:
    """(record_id, cluster_id) of the linked records of the graph ``edges`` among
    ``records``, and the records no edge holds: in process (``_model.cluster`` on DuckDB)
    or by Splink's (``_model.splink_components``)."""
    from identity import _model
    from identity._backend import SplinkTables

    with SplinkTables(con) as splink:
        if in_process:  # every record numbered; the unlinked ones told apart by number
            found, unlinked = _model.cluster(
                splink, f"select record_id from {records}", f"select * from {edges}"
            )
        else:
            found = _model.splink_components(splink, f"select * from {edges}")
            unlinked = f"(select record_id from {records} anti join {found} using (record_id))"
        return (
            set(con.execute(f"select record_id, cluster_id from {found}").fetchall()),
            {r[0] for r in con.execute(f"select record_id from {unlinked}").fetchall()},
        )


def test_components_are_chains_named_by_their_smallest_record():
    """Edges c-a, a-b, b-d form one chain {a, b, c, d}; e-f a second; g-g (a record linked
    to itself) a third of one record: seven linked records in three components, each named
    by its smallest record id, whichever way round its edges run; h and i, linked to
    nobody, are in no component."""
    con = duckdb.connect()
    con.execute(
        "create table links as select * from (values ('c', 'a'), ('a', 'b'), ('d', 'b'), "
        "('f', 'e'), ('g', 'g')) v(record_id_l, record_id_r)"
    )
    con.execute(
        "create table records as select unnest(split('i,a,b,c,d,e,f,g,h', ',')) as record_id"
    )
    assert _components(con, "records", "links", in_process=True) == (
        {("a", "a"), ("b", "a"), ("c", "a"), ("d", "a"), ("e", "e"), ("f", "e"), ("g", "g")},
        {"h", "i"},
    )
    left = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert left == {"links", "records"}  # the numbering and labels do not outlive the run's Splink


def test_an_edge_holding_a_record_outside_the_records_is_refused():
    """The edge a-z names z, which is not among the records numbered: refused, not dropped
    (dropping it would split a component silently)."""
    con = duckdb.connect()
    con.execute("create table links as select 'a' as record_id_l, 'z' as record_id_r")
    con.execute("create table records as select unnest(['a', 'b']) as record_id")
    with pytest.raises(ValueError, match="holds a record not in"):
        _components(con, "records", "links", in_process=True)


def test_components_found_in_process_are_splinks():
    """A random graph of 400 records and 300 links (long chains, stars and pairs among
    them): the same record -> cluster rows as Splink's connected components."""
    rng = random.Random(7)
    ids = [f"pos:{n:04d}" for n in range(400)]
    links = [(rng.choice(ids), rng.choice(ids)) for _ in range(300)]
    con = duckdb.connect()
    con.execute("create table links (record_id_l varchar, record_id_r varchar)")
    con.executemany("insert into links values (?, ?)", links)
    con.execute("create table records (record_id varchar)")
    con.executemany("insert into records values (?)", [(i,) for i in ids])
    ours, unlinked = _components(con, "records", "links", in_process=True)
    assert (ours, unlinked) == _components(con, "records", "links", in_process=False)
    assert len({c for _, c in ours}) < len(ours)  # some records were joined
    assert unlinked and len(ours) + len(unlinked) == len(ids)


def test_labels_are_each_components_smallest_node_after_several_rounds():
    """A path 7-6-5-4-3-2-1-0 (hooked in one round, then three jumps bring every node to 0);
    a star of centre 12 on 8, 9 and 10 (the first round hooks 12 under 8 only, the second 9
    and 10 under 8); node 11 alone: the path labelled 0, the star 8, node 11 itself."""
    import numpy as np

    from identity._components import label_components

    left = np.array([7, 6, 5, 4, 3, 2, 1, 12, 12, 12])
    right = np.array([6, 5, 4, 3, 2, 1, 0, 10, 9, 8])
    labels = label_components(13, left, right)
    assert labels.tolist() == [0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 11, 8]
