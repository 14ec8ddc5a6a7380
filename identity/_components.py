"""Connected components of the run's links, found in process on DuckDB.

Splink's ``cluster_pairwise_predictions_at_threshold`` finds them with SQL: every
iteration joins every edge to the nodes' representatives and writes a table, until none
moves (at 1M records 1.0-1.7 s of CPU, besides giving it the graph and reading its answer).
On DuckDB the graph, numbered as integers (``SplinkTables.number_graph``), is read as two
integer arrays instead and labelled with numpy (:func:`label_components`: about 0.1 s at 1M
records, 1.2M edges; scipy's ``connected_components`` took as long, and importing it 0.25 s
more, which an incremental run's few edges would pay for nothing). The components are the
same, and each is named by its smallest record id as Splink's are
(``SplinkTables.name_components``). On Spark the edges do not fit one process: there
Splink's stays (``_model.cluster``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity._backend import GRAPH_IDS

if TYPE_CHECKING:
    from numpy import ndarray

    from identity._backend import SplinkTables

_LABELS = "_identity_graph_labels"  # the arrays DuckDB reads back: node -> component
_UNLINKED = "_identity_graph_unlinked"  # ... and the nodes no edge holds


def connected_components(
    splink: SplinkTables, records_sql: str, edges_sql: str, name: str
) -> tuple[str, str]:
    """Temp tables ``name`` (record_id, cluster_id) of the connected components of a graph,
    its edges (``edges_sql``: ``record_id_l``, ``record_id_r``) among ``records_sql`` (a
    ``record_id`` for every record an edge can hold), and ``<name>_unlinked`` (record_id) of
    the records no edge holds.

    Every record is numbered, not only the linked ones: a row number over the records
    where finding the linked ones first grouped both ends of every edge (0.4 s of CPU at 1M
    records, 1.2M edges). The unlinked ones are told apart here by their numbers: an anti
    join of the records' ids with the components' cost 0.3 s more."""
    import numpy as np

    con = splink.con
    edges = con.execute(splink.number_graph(records_sql, edges_sql)).fetchnumpy()
    # fetched whole: a result left unfinished (``fetchone``) would bar the registration below
    nodes, expected = con.execute(
        f"select (select count(*) from {GRAPH_IDS}), (select count(*) from ({edges_sql}))"
    ).fetchall()[0]
    if len(edges["record_id_l"]) != expected:
        raise ValueError(f"an edge of {edges_sql!r} holds a record not in {records_sql!r}")
    # numbered from 1: node n is index n - 1 of the arrays
    left, right = edges["record_id_l"] - 1, edges["record_id_r"] - 1
    labels = label_components(nodes, left, right)
    linked = np.zeros(nodes, dtype=bool)
    linked[left] = linked[right] = True
    held = np.flatnonzero(linked)
    # dicts of arrays are relations DuckDB scans in place (no pandas, no Arrow)
    con.register(_LABELS, {"record_id": held + 1, "cluster_id": labels[held]})
    con.register(_UNLINKED, {"node": np.flatnonzero(~linked) + 1})
    try:
        components = splink.name_components(_LABELS, name)
        unlinked = splink.keep(
            f"{name}_unlinked",
            f"select record_id from {GRAPH_IDS} semi join {_UNLINKED} using (node)",
        )
    finally:
        con.unregister(_LABELS)
        con.unregister(_UNLINKED)
    return components, unlinked


def label_components(nodes: int, left: ndarray, right: ndarray) -> ndarray:
    """Each of ``nodes`` nodes (0 to nodes - 1) labelled by the smallest node of its
    component, given its edges as two integer arrays (``left[i]`` - ``right[i]``).

    Rounds of hooking and jumping: every edge still joining two trees points the larger root
    at the smaller (``np.minimum.at``: each root takes the smallest it meets), then every
    node jumps to its root; the edges inside one tree are dropped. A root is only ever hooked
    under a smaller one, so the last root of a component is its smallest node, and each
    round hooks at least one root: the rounds end (a few at 1M records)."""
    import numpy as np

    parent = np.arange(nodes)
    while True:
        low, high = parent[left], parent[right]
        crossing = low != high
        if not crossing.any():
            return parent
        left, right, low, high = left[crossing], right[crossing], low[crossing], high[crossing]
        np.minimum.at(parent, np.maximum(low, high), np.minimum(low, high))
        while not np.array_equal(jumped := parent[parent], parent):
            parent = jumped
