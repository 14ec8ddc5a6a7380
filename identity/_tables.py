"""The temporary relations an identity run shares between its stages, by name.

A run computes everything in temporary tables on the warehouse connection and replaces the
``identity.*`` tables in one transaction at the end (``_persist``). The relations below are
the ones passed from one module to another: each is declared once here, with its columns and
what it holds, and ``_resolve``'s stage list says which stage writes and which reads it.
A relation is its name (a ``str``), so SQL reads ``f"select * from {RECORDS}"``.

Scratch tables a single function creates and drops again (``_identity_primary`` in
``_ids``, ``_identity_holders`` in ``_guards``, ...) stay in their module: nobody else sees
them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from identity._config import ATTRIBUTES, DISPLAYED

if TYPE_CHECKING:
    import duckdb


class Relation(str):
    """A shared temporary relation: the string is its name; ``columns`` its DDL column list
    (or the shape it copies), ``doc`` what it holds."""

    columns: str
    doc: str

    def __new__(cls, name: str, columns: str, doc: str) -> Relation:
        relation = super().__new__(cls, name)
        relation.columns = columns
        relation.doc = doc
        REGISTRY[name] = relation
        return relation

    def create_empty(self, con: duckdb.DuckDBPyConnection) -> None:
        """(Re)create it as an empty temporary table."""
        con.execute(f"create or replace temp table {self} ({self.columns})")


REGISTRY: dict[str, Relation] = {}

_ATTRIBUTE_COLUMNS = ", ".join(
    f"{a} {'date' if a == 'birth_date' else 'varchar'}" for a in ATTRIBUTES
)
# beside a match key, the value as typed (identity._standardise.display_sql)
_DISPLAY_COLUMNS = ", ".join(f"{a}_display varchar" for a in DISPLAYED)
# identity.identity_records and the run's records share these columns, in this order
RECORD_COLUMNS = (
    "record_id varchar, identity_type varchar, source varchar, source_key varchar, "
    f"{_ATTRIBUTE_COLUMNS}, first_seen_at timestamp, last_seen_at timestamp, "
    f"{_DISPLAY_COLUMNS}, is_anonymous boolean, fingerprint varchar"
)
CUSTOMER_COLUMNS = (
    "customer_id varchar, is_active boolean, is_anonymous boolean, record_count bigint, "
    "created_run_id varchar, updated_run_id varchar, is_oversized boolean, created_at timestamp"
)
LINK_COLUMNS_DDL = (
    "record_id_l varchar, record_id_r varchar, link_type varchar, rule varchar, "
    "match_weight double, match_probability double, top_comparisons varchar"
)
_IDENTIFIER_COLUMNS = "record_id varchar, identifier_type varchar, identifier_value varchar"
_PAIR_SCORE_COLUMNS = (
    "record_id_l varchar, record_id_r varchar, match_weight double, match_probability double, "
    "top_comparisons varchar"
)

# -- the previous run's state (``_persist.load_previous``): views of the stored tables ------
PREV_MEMBERS = Relation(
    "_identity_prev_members",
    "record_id varchar, customer_id varchar",
    "identity.customer_records as the previous run left it: each record's customer",
)
PREV_CUSTOMERS = Relation(
    "_identity_prev_customers",
    CUSTOMER_COLUMNS,
    "identity.customers as the previous run left it (every id ever issued, retired ones too)",
)
PREV_RECORDS = Relation(
    "_identity_prev_records",
    "record_id varchar, fingerprint varchar",
    "the stored identity records' fingerprints: a different one means a changed record",
)

# -- what changed in the raw layer (``_watermark``) -----------------------------------
EXTRACTION_STATE_NOW = Relation(
    "_identity_extraction_state_now",
    "raw_table varchar, batch_id varchar, row_count bigint, state_hash varchar",
    "rows per raw batch now; saved as identity.extraction_state when the run commits",
)
CHANGED_KEYS = Relation(
    "_identity_changed_keys",
    "identity_type varchar, source_key varchar",
    "source keys with rows in batches new or grown since the last run (incremental reads)",
)

# -- standardised records (``_records``) -------------------------------------------------
RECORDS = Relation(
    "_identity_records_stage",
    RECORD_COLUMNS,
    "this run's identity records, standardised: one per source identity (record_id is "
    "'<identity_type>:<source_key>'); becomes identity.identity_records",
)
RESTANDARDISED = Relation(
    "_identity_restandardised",
    "record_id varchar",
    "incremental runs: the records standardised again (new, or a changed fingerprint)",
)
STRONG_IDS = Relation(
    "_identity_strong_ids_stage",
    _IDENTIFIER_COLUMNS,
    "each record's strong identifiers (loyalty card, web account, ...), most frequent value "
    "per type; becomes identity.record_identifiers",
)
REREAD = Relation(
    "_identity_reread_count",
    "n bigint",
    "one row: how many records this run read again from the raw layer",
)
NULLED = Relation(
    "_identity_standardisation_nulled",
    "source varchar, identity_type varchar, attribute varchar, country varchar, "
    "nulled bigint, present bigint",
    "per source, attribute and country: values standardisation turned into NULL",
)

# -- over-merge guards (``_guards``) -----------------------------------------------------
MATCH_RECORDS = Relation(
    "_identity_match_records",
    RECORD_COLUMNS,
    "a view of RECORDS with blocked e-mails and phones nulled: what matching reads",
)
LINK_IDS = Relation(
    "_identity_link_ids_stage",
    _IDENTIFIER_COLUMNS,
    "identifier values that link their holders deterministically: strong ids not blocked "
    "nor refused by cardinality, and shared e-mails and phones no holder contradicts",
)
BLOCKED = Relation(
    "_identity_blocked_stage",
    "identifier_type varchar, identifier_value varchar, reason varchar, record_count bigint",
    "identifier values the guards block (block list, frequency ceiling, max_people); "
    "appended to identity.blocked_identifiers",
)
GUARD_REFUSED = Relation(
    "_identity_cardinality_refused",
    "owner varchar, record_id varchar, identifier_type varchar, identifier_value varchar",
    "holders of a one-person identifier that contradict its owner: no deterministic link",
)
SHARED_CONTACTS = Relation(
    "_identity_shared_contacts",
    _IDENTIFIER_COLUMNS,
    "holders of the e-mails and phones that link deterministically (shared, uncontradicted)",
)
GUARD_CHANGED_VALUES = Relation(
    "_identity_guard_changed_values",
    "identifier_type varchar, identifier_value varchar",
    "incremental guards: the values new, changed or removed records hold, the only ones "
    "guarded again (``_guard_cache``); absent when the guards ran over every value",
)
GUARD_EVENTS = Relation(
    "_identity_guard_events_stage",
    "run_id varchar, event_type varchar, customer_id varchar, record_id_l varchar, "
    "record_id_r varchar, identifier_type varchar, identifier_value varchar, detail varchar, "
    "created_at timestamp",
    "every guard decision of the run (blocked values, cardinality and chain splits, refused "
    "conflicts); appended to identity.guard_events",
)

# -- scoring (``_scoring``, ``_links``, ``_review``) ------------------------------------------
RESCORED = Relation(
    "_identity_rescored",
    "record_id varchar",
    "incremental runs: records scored again (new, changed, or under a new decision)",
)
REMOVED = Relation(
    "_identity_removed",
    "record_id varchar",
    "incremental runs: stored records no longer in the sources (their rows, links and "
    "membership go)",
)
ACCEPTED = Relation(
    "_identity_new_links_stage",
    LINK_COLUMNS_DDL,
    "probabilistic links scored this run at or above the threshold, no conflict holding",
)
REFUSED = Relation(
    "_identity_refused_stage",
    "record_id_l varchar, record_id_r varchar, conflict varchar, match_weight double, "
    "match_probability double, top_comparisons varchar",
    "scored pairs a configured conflict refuses, with the conflict's name",
)
REVIEW = Relation(
    "_identity_review_stage",
    _PAIR_SCORE_COLUMNS,
    "scored pairs in the review band; replace their part of identity.review_pairs",
)

# -- links, scope and clusters (``_resolve``, ``_decisions``, ``_cluster``) ----------------
REPLACED = Relation(
    "_identity_replaced_strata",
    "stratum varchar",
    "the strata (one home, one name) where the records show pairs differing on two fields "
    "to be one person's values replaced, not other people (_replaced); measured over every "
    "record when pairs are scored, read again when clusters are constrained",
)
EDGES = Relation(
    "_identity_edges",
    LINK_COLUMNS_DDL,
    "every link of the run: deterministic, accepted, kept from the last run, and stewards' "
    "must-links; on an incremental run only those leaving the records it re-clusters or "
    "removes (the others are stored already)",
)
NEW_EDGES = Relation(
    "_identity_new_edges",
    LINK_COLUMNS_DDL,
    "incremental runs: the links made this run (deterministic links of the values guarded "
    "again, accepted pairs, must-links); with the stored links still holding, every link "
    "of the run (``_scope``)",
)
CONSTRAINTS = Relation(
    "_identity_constraints",
    "record_id_l varchar, record_id_r varchar, constraint_source varchar, reason varchar",
    "record pairs that must not share a customer: stewards' cannot-links and the guards'",
)
SCOPE_RECORDS = Relation(
    "_identity_scope_records",
    "record_id varchar",
    "records this run re-clusters: all on a full run",
)
SCOPE_CUSTOMERS = Relation(
    "_identity_scope_customers",
    "customer_id varchar",
    "previous customers whose records are re-clustered",
)
PREV_MEMBERS_SCOPE = Relation(
    "_identity_prev_members_scope",
    "record_id varchar, customer_id varchar",
    "the part of PREV_MEMBERS being re-clustered",
)
SCOPE_EDGES = Relation(
    "_identity_scope_edges",
    "record_id_l varchar, record_id_r varchar, match_probability double",
    "the EDGES within the scope: what connected components cluster",
)
CLUSTERS = Relation(
    "_identity_clusters_stage",
    "record_id varchar, cluster_id varchar",
    "each scope record's cluster after constrained clustering (singletons included)",
)

# -- stable ids (``_ids``) -----------------------------------------------------------------
ID_OVERLAP = Relation(
    "_identity_overlap",
    "cluster_id varchar, customer_id varchar, n bigint, first_record varchar",
    "each cluster and previous customer sharing records: how many (n), and the first of them; "
    "the customers' primary clusters and the churn gate read it",
)
ASSIGNED = Relation(
    "_identity_assigned_stage",
    "cluster_id varchar, first_record varchar, record_count bigint, keeper varchar, "
    "customer_id varchar",
    "each cluster's customer id: kept from a previous customer (keeper) or new",
)
RETIRED = Relation(
    "_identity_retired_stage",
    "retired_customer_id varchar, customer_id varchar",
    "previous customers whose id goes: into a survivor, or none (no records left)",
)
ID_EVENTS = Relation(
    "_identity_events_stage",
    "customer_id varchar, event varchar, from_customer_id varchar, to_customer_id varchar, "
    "detail varchar",
    "id changes of the run (created, merged, split, retired); appended to identity.id_history",
)

# -- the run's new state (``_persist_stage``, ``_persist``) -----------------------------------
SCOPE_MEMBERS = Relation(
    "_identity_scope_members_stage",
    "record_id varchar, customer_id varchar",
    "each re-clustered record's customer",
)
MEMBERS = Relation(
    "_identity_members_stage",
    "record_id varchar, customer_id varchar",
    "each present record's customer: SCOPE_MEMBERS, and the others' previous customer",
)
CUSTOMERS_STAGE = Relation(
    "_identity_customers_stage",
    CUSTOMER_COLUMNS,
    "identity.customers after this run (retired ones inactive); an incremental run's holds "
    "only the rows it changes (CHANGED_CUSTOMERS): the others stay as stored",
)
CHANGED_RECORDS = Relation(
    "_identity_changed_records",
    "record_id varchar",
    "incremental runs: records whose stored rows this run rewrites (re-scored, removed)",
)
STORED_CHANGED = Relation(
    "_identity_stored_changed",
    "record_id varchar",
    "incremental runs: the CHANGED_RECORDS with a stored row (not new ones)",
)
TOUCHED_RECORDS = Relation(
    "_identity_touched_records",
    "record_id varchar",
    "incremental runs: records whose membership and links this run rewrites",
)
STORED_TOUCHED = Relation(
    "_identity_stored_touched",
    "record_id varchar",
    "incremental runs: the TOUCHED_RECORDS the last run stored (re-clustered ones with a "
    "previous membership, removed ones): the only ones with stored memberships and links",
)
CHANGED_CUSTOMERS = Relation(
    "_identity_changed_customers",
    "customer_id varchar",
    "customers whose rows this run rewrites: an incremental run's assigned or retired ones, "
    "a full run's new ones and those whose row differs from the stored one",
)
LINKS_STAGE = Relation(
    "_identity_links_stage",
    f"run_id varchar, {LINK_COLUMNS_DDL}",
    "EDGES with the run that first made each link; becomes identity.links",
)

# -- labelled data (training with labels, evaluation) -------------------------------------
TRUTH = Relation(
    "_identity_truth",
    "identity_type varchar, source_key varchar, person_id varchar",
    "the ground truth read from a file: which person each source identity is",
)
LABELS = Relation(
    "_identity_labels",
    "record_id_l varchar, record_id_r varchar, clerical_match_score double",
    "labelled pairs (record_id_l < record_id_r) for training with labels",
)
