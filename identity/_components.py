"""Connected components of the run's links, found in process on DuckDB.

Splink's ``cluster_pairwise_predictions_at_threshold`` finds them with SQL: every
iteration joins every edge to the nodes' representatives and writes a table, until none
moves (at 1M records 1.0-1.7 s of CPU, besides giving it the graph and reading its answer).
On DuckDB the graph, numbered as integers (``SplinkTables.number_graph``), is read as two
integer arrays instead, and scipy's ``connected_components`` (a breadth-first search in C
over a sparse matrix) labels the nodes in about 0.1 s. The components are the same, and each
is named by its smallest record id as Splink's are (``SplinkTables.name_components``). On
Spark the edges do not fit one process: there Splink's stays (``_model.cluster``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity._backend import _GRAPH_IDS

if TYPE_CHECKING:
    from identity._backend import SplinkTables

_LABELS = "_identity_graph_labels"  # the arrays DuckDB reads back: node -> component


def connected_components(splink: SplinkTables, nodes_sql: str, edges_sql: str, name: str) -> str:
    """Temp table ``name`` (record_id, cluster_id) of the connected components of a graph
    (``nodes_sql``: its ``record_id``; ``edges_sql``: its ``record_id_l``, ``record_id_r``)."""
    import numpy as np
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components as label_components

    con = splink.con
    edges = con.execute(splink.number_graph(nodes_sql, edges_sql)).fetchnumpy()
    # fetched whole: a result left unfinished (``fetchone``) would bar the registration below
    nodes = con.execute(f"select count(*) from {_GRAPH_IDS}").fetchall()[0][0]
    # numbered from 1: node n is row n - 1 of the matrix
    left, right = edges["record_id_l"] - 1, edges["record_id_r"] - 1
    graph = coo_array((np.ones(len(left), dtype=np.int8), (left, right)), shape=(nodes, nodes))
    _, labels = label_components(graph, directed=False)
    # a dict of arrays is a relation DuckDB scans in place (no pandas, no Arrow)
    con.register(_LABELS, {"record_id": np.arange(1, nodes + 1), "cluster_id": labels})
    try:
        return splink.name_components(_LABELS, name)
    finally:
        con.unregister(_LABELS)
