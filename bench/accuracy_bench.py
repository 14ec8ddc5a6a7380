"""Identity accuracy on several populations, beside its peers: `python -m bench.accuracy_bench`.

    .venv/bin/python -m bench.accuracy_bench [--quick] [--datasets sample hard febrl3 ...]
                                             [--no-peers] [--json] [--dump-misses DIR]

Each dataset goes through the product as a retailer's export would (a source definition,
`cdp ingest`, `cdp identity resolve` with the one shipped `config/identity.yml` and a
freshly trained model), then its peers run on the very records ours resolved
(`identity.identity_records`, standardised, identified):
- bare Splink: Splink's library comparisons (names, date of birth, e-mail, exact phone,
  postcode, city, address), the same blocking rules, prior rules and u sampling, EM on
  names then birth dates, e-mail or phone, predictions at the same threshold, connected
  components;
- GoldenMatch 3.22 (the `bench` extra), zero-configuration `dedupe` on the same columns,
  run offline;
- the union of records sharing an exact e-mail or phone (what CDPs' deterministic
  stitching does).
Per system: pairwise precision / recall / F1, B-cubed F1, wrongly merged pairs of two
members of one household (where the data knows households), wall seconds, peak RSS.
Recall is given twice: over every truth pair, and over the pairs some engine could find
(``reach_groups``: a record known only by a display name and a handle, like a social
author, reaches only the records sharing its handle); the table says how many truth pairs
were unreachable. Precision is always over every predicted pair.

Datasets: ``sample`` (`cdp generate`), ``hard`` (`cdp generate --profile hard`: dense
namesakes, family e-mails, apartment buildings, e-mail-only subscribers), ``febrl1``..
``febrl4`` (without soc_sec_id, as `bench.public_bench` loads them; FEBRL4's two files are
linked against each other, as two identity types in a link-only run, unless
``--dedupe-febrl4``), ``pseudopeople`` and
``pseudopeople_ssn`` (seven simulated US sources, without and with the SSN as the custom
identifier ``national_id``: `bench.public_pseudopeople`), ``thirdparty`` and
``thirdparty_dense`` (a French retailer written independently of `sample_data`, realistic
and namesake-dense: `bench.third_party`, onboarded by its `sources/*.yml` alone).
``--quick`` generates 1,500 people
per world instead of 5,000 and keeps a quarter of pseudopeople's (FEBRL sizes are fixed).
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

from identity._config import ATTRIBUTES

BENCH_DIR = Path(__file__).resolve().parent
WORLDS = {"sample": "default", "hard": "hard"}
FEBRL = ("febrl1", "febrl2", "febrl3", "febrl4")
PSEUDOPEOPLE = ("pseudopeople", "pseudopeople_ssn")  # without and with the SSN
# an independently written French retailer (bench/third_party), onboarded by YAML alone
THIRD_PARTY = {"thirdparty": "realistic", "thirdparty_dense": "dense"}
PEOPLE = {"quick": 1500, "full": 5000}
_SALT = "bench-only-erasure-salt"  # the pipeline refuses the shipped default (docs/privacy.md)
_IDENTIFIED = (
    "not is_anonymous and coalesce(first_name, last_name, email, phone, postcode, city, "
    "address_line, cast(birth_date as varchar)) is not null"
)
_PEER_COLUMNS = ATTRIBUTES  # the identity attributes, in the engine's order


def load(name: str, workdir: Path, people: int, link_only: bool = True):
    """Settings of a fresh warehouse holding the dataset, ingested; and its people file.
    ``link_only``: FEBRL4's two files are linked against each other, not deduplicated."""
    import ingestion
    from core.settings import Settings
    from sample_data import generate

    if name in WORLDS:
        settings = Settings(data_dir=workdir / "data", erasure_salt=_SALT)
        settings.ensure_dirs()
        generate(settings, people=people, seed=42, profile=WORLDS[name])
    elif name in THIRD_PARTY:
        from bench.third_party.exports import write_exports as write_retailer

        settings = Settings(
            data_dir=workdir / "data",
            sources_dir=BENCH_DIR / "third_party" / "sources",
            erasure_salt=_SALT,
        )
        settings.ensure_dirs()
        write_retailer(settings.landing_dir, settings.truth_dir, people, THIRD_PARTY[name])
    elif name in PSEUDOPEOPLE:
        from bench.public_pseudopeople import SOURCES, write_exports

        settings = Settings(
            data_dir=workdir / "data", sources_dir=SOURCES[name], erasure_salt=_SALT
        )
        settings.ensure_dirs()
        # the quick run keeps a stable quarter of the simulated people (about 11,000 records)
        share = 0.25 if people <= PEOPLE["quick"] else 1.0
        write_exports(settings.landing_dir / "pseudopeople", settings.truth_dir, share)
    else:
        from bench.public_bench import LINKED_FILES, febrl_wheel, write_dataset

        # two files to link against each other are resolved link-only (a setting of the run)
        linked = name in LINKED_FILES and link_only
        settings = Settings(
            data_dir=workdir / "data",
            sources_dir=BENCH_DIR / "public" / ("febrl4_sources" if linked else "sources"),
            erasure_salt=_SALT,
            identity_link_only=sorted(set(LINKED_FILES[name].values())) if linked else [],
        )
        settings.ensure_dirs()
        wheel = febrl_wheel(BENCH_DIR.parent / "data" / "bench_cache")
        truth = settings.truth_dir / "identity_truth.csv"
        write_dataset(wheel, name, settings.landing_dir / "febrl", truth, linked=linked)
    ingestion.ingest(settings)
    people_file = settings.truth_dir / "people.parquet"
    return settings, people_file if people_file.exists() else None


def reach_groups(settings):
    """Per identified record, the group of its truth person's records an engine could join it
    to (``record_id``, ``reach_group``): a person's records carrying any attribute beyond a
    name can be compared, so they form one group; records sharing a strong identifier value
    (a handle, a card, an account) join each other's groups. A record known by a name alone
    (a social author's display name and handle) reaches only the records sharing its
    identifier: no engine can tell it from a namesake, so pairs across groups are
    unreachable."""
    import duckdb
    import pyarrow as pa

    from core.warehouse import connect
    from identity._backend import arrow

    beyond_name = " or ".join(
        f"{c} is not null" for c in ATTRIBUTES if c not in ("first_name", "last_name")
    )
    with connect(settings) as con:
        records = arrow(
            con,
            f"select record_id, ({beyond_name}) as comparable from identity.identity_records "
            f"where {_IDENTIFIED}",
        )
        identifiers = arrow(
            con,
            "select record_id, identifier_type || ':' || identifier_value as value "
            "from identity.record_identifiers where identifier_value is not null",
        )
    local = duckdb.connect()
    local.register("records", records)
    local.register("identifiers", identifiers)
    rows = local.execute(f"""
select r.record_id, t.person_id, r.comparable, list(i.value) filter (where i.value is not null)
from records r
join read_csv('{settings.truth_dir / "identity_truth.csv"}', all_varchar = true) t
  on r.record_id = t.identity_type || ':' || t.source_key
left join identifiers i using (record_id) group by all""").fetchall()
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for record_id, person_id, comparable, values in rows:
        # within one person: the comparable records, and any sharing an identifier value
        for anchor in ([f"{person_id}|comparable"] if comparable else []) + [
            f"{person_id}|{v}" for v in values or []
        ]:
            parent[find(record_id)] = find(anchor)
    ids = [r[0] for r in rows]
    return pa.table({"record_id": ids, "reach_group": [find(r) for r in ids]})


def score(settings, clusters, people_file, reach=None) -> dict:
    """Pairwise and B-cubed figures of a (record_id, cluster_id) Arrow table, the wrongly
    merged pairs inside one household, and (given ``reach``, :func:`reach_groups`) recall
    over the truth pairs some engine could find, beside the unreachable ones."""
    import duckdb

    from identity._evaluate import _metrics

    con = duckdb.connect()
    con.register("clusters", clusters)
    if reach is not None:
        con.register("reach", reach)
    con.execute(f"""create temp table _identity_eval as
select t.person_id, c.cluster_id as customer_id, false as is_anonymous, c.record_id
from read_csv('{settings.truth_dir / "identity_truth.csv"}', all_varchar = true) t
join clusters c on c.record_id = t.identity_type || ':' || t.source_key""")
    figures = _metrics(con, "true")
    if reach is not None:
        reachable, found = con.execute("""
with j as (select * from _identity_eval join reach using (record_id))
select count(*), count(*) filter (where a.customer_id = b.customer_id) from j a
join j b on a.person_id = b.person_id and a.reach_group = b.reach_group
 and a.record_id < b.record_id""").fetchone()
        # precision stays over every predicted pair: only the recall's denominator changes
        precision = figures["pairwise_precision"]
        recall = found / reachable if reachable else 1.0
        figures["unreachable_pairs"] = figures["true_pairs"] - reachable
        figures["reachable_recall"] = round(recall, 4)
        figures["reachable_f1"] = round(
            2 * precision * recall / (precision + recall) if precision + recall else 0.0, 4
        )
    if people_file is not None:
        figures["household_pairs"] = con.execute(f"""
with homes as (select person_id, household_id from read_parquet('{people_file}'))
select count(*) from _identity_eval a join _identity_eval b
  on a.customer_id = b.customer_id and a.person_id < b.person_id
join homes ha on ha.person_id = a.person_id join homes hb on hb.person_id = b.person_id
where ha.household_id = hb.household_id""").fetchone()[0]
    return figures


def ours(settings):
    """Our full run with a fresh model; its clusters as (record_id, cluster_id)."""
    import shutil

    import identity
    from core.warehouse import connect
    from identity._backend import arrow

    shutil.rmtree(settings.model_dir, ignore_errors=True)
    identity.resolve(settings, full=True, approve_churn=True)
    with connect(settings) as con:
        clusters = arrow(
            con,
            "select m.record_id, m.customer_id as cluster_id from identity.customer_records m "
            f"join identity.identity_records r using (record_id) where {_IDENTIFIED}",
        )
    return clusters


def _records(settings):
    from core.warehouse import connect
    from identity._backend import arrow

    with connect(settings) as con:
        return arrow(
            con,
            f"select record_id, {', '.join(_PEER_COLUMNS)} from identity.identity_records "
            f"where {_IDENTIFIED} order by record_id",
        )


def bare_splink(settings, records):
    """Splink with its library comparisons on the same records and blocking."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    from identity._backend import to_arrow
    from identity._config import load_identity_config
    from identity._plan import plan_from_counts

    config = load_identity_config(settings.identity_config_path)
    counts = {c: records.num_rows - records[c].null_count for c in _PEER_COLUMNS}
    plan = plan_from_counts(counts, config)
    has = {c for c, n in counts.items() if n >= 2}
    library = {
        "first_name": lambda: cl.NameComparison("first_name"),
        "last_name": lambda: cl.NameComparison("last_name"),
        "birth_date": lambda: cl.DateOfBirthComparison("birth_date", input_is_string=False),
        "email": lambda: cl.EmailComparison("email"),
        "phone": lambda: cl.ExactMatch("phone"),
        "postcode": lambda: cl.ExactMatch("postcode"),
        "city": lambda: cl.ExactMatch("city"),
        "address_line": lambda: cl.ExactMatch("address_line"),
    }
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[make() for column, make in library.items() if column in has],
        blocking_rules_to_generate_predictions=[
            block_on(*cols) for cols in plan.blocking if set(cols) <= set(_PEER_COLUMNS)
        ],
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(records), creator, log_level=logging.ERROR)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*cols) for cols in plan.prior_rules], recall=config.training.prior_recall
        )
    except ValueError as error:
        logging.getLogger(__name__).warning("bare Splink prior not estimated: %s", error)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=config.training.u_max_pairs, seed=config.training.seed
    )
    for session in (["first_name", "last_name"], ["birth_date"], ["email"], ["phone"]):
        if set(session) <= has:
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(
                    block_on(*session)
                )
            except Exception as error:  # noqa: BLE001 - a peer's failed session is reported
                logging.getLogger(__name__).warning("bare Splink EM %s: %s", session, error)
    predictions = linker.inference.predict(threshold_match_probability=config.match_threshold)
    clusters = cluster_pairwise_predictions_at_threshold(
        records.select(["record_id"]),
        predictions,
        db_api=db_api,
        node_id_column_name="record_id",
        edge_id_column_name_left="record_id_l",
        edge_id_column_name_right="record_id_r",
        threshold_match_probability=None,
    )
    return to_arrow(clusters).select(["record_id", "cluster_id"])


def goldenmatch(records, workdir: Path):
    """GoldenMatch's zero-configuration dedupe on the same columns; its clusters."""
    import goldenmatch as gm
    import pyarrow as pa
    import pyarrow.parquet as pq

    present = [c for c in _PEER_COLUMNS if records[c].null_count < records.num_rows]
    table = records.select(present)
    if "birth_date" in present:
        table = table.set_column(
            present.index("birth_date"), "birth_date", table["birth_date"].cast(pa.string())
        )
    path = workdir / "goldenmatch_input.parquet"
    pq.write_table(table, path)
    result = gm.dedupe(str(path))
    ids = records["record_id"].to_pylist()
    cluster_of = {i: ids[i] for i in range(len(ids))}
    for cluster in result.clusters.values():
        members = sorted(cluster["members"])
        for member in members:
            cluster_of[member] = ids[members[0]]
    return pa.table({"record_id": ids, "cluster_id": [cluster_of[i] for i in range(len(ids))]})


def contact_union(records):
    """Records sharing an exact e-mail or phone, joined transitively."""
    import pyarrow as pa

    ids = records["record_id"].to_pylist()
    parent = {r: r for r in ids}

    def find(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for column in ("email", "phone"):
        first: dict = {}
        for record, value in zip(ids, records[column].to_pylist(), strict=True):
            if value is None:
                continue
            if value in first:
                parent[find(record)] = find(first[value])
            else:
                first[value] = record
    return pa.table({"record_id": ids, "cluster_id": [find(r) for r in ids]})


def run(
    name: str,
    workdir: Path,
    people: int,
    peers: bool,
    misses: Path | None = None,
    link_only: bool = True,
) -> dict:
    """One dataset: ours, then its peers on the same records; with ``misses`` (a folder),
    our missed truth pairs written there (``bench._misses``)."""
    from bench.identity_bench import _PeakRss

    settings, people_file = load(name, workdir, people, link_only)
    results: dict = {"dataset": name}
    with _PeakRss() as rss:
        with rss.phase(results, "ours"):
            clusters = ours(settings)
        reach = reach_groups(settings)
        results["ours"].update(score(settings, clusters, people_file, reach))
        if misses is not None:
            from bench._misses import dump_misses

            results["ours"]["misses_file"] = str(misses / f"{name}_misses.csv")
            dump_misses(settings, clusters, misses / f"{name}_misses.csv", people_file)
        if not peers:
            return results
        records = _records(settings)
        results["records"] = records.num_rows
        for label, system in (
            ("bare_splink", lambda: bare_splink(settings, records)),
            ("goldenmatch", lambda: goldenmatch(records, workdir)),
            ("email_phone_union", lambda: contact_union(records)),
        ):
            try:
                with rss.phase(results, label):
                    clusters = system()
                results[label].update(score(settings, clusters, people_file, reach))
            except Exception as error:  # noqa: BLE001 - a peer failing is a figure too
                results[label] = {"error": f"{type(error).__name__}: {error}"[:300]}
    return results


def table(all_results: list[dict]) -> str:
    """The figures as one markdown table."""
    lines = [
        "| dataset | system | P | R | F1 | R reachable | F1 reachable | unreachable pairs "
        "| B3 F1 | household pairs | s | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for results in all_results:
        for system in ("ours", "bare_splink", "goldenmatch", "email_phone_union"):
            figures = results.get(system)
            if figures is None:
                continue
            if "error" in figures:
                lines.append(f"| {results['dataset']} | {system} | {figures['error'][:80]} |")
                continue
            lines.append(
                f"| {results['dataset']} | {system} | {figures['pairwise_precision']:.3f} | "
                f"{figures['pairwise_recall']:.3f} | {figures['pairwise_f1']:.3f} | "
                f"{figures['reachable_recall']:.3f} | {figures['reachable_f1']:.3f} | "
                f"{figures['unreachable_pairs']} of {figures['true_pairs']} | "
                f"{figures['bcubed_f1']:.3f} | {figures.get('household_pairs', '')} | "
                f"{figures['seconds']:.1f} | {figures['peak_rss_mb']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=[*WORLDS, *FEBRL, *PSEUDOPEOPLE, *THIRD_PARTY],
        default=[*WORLDS, *FEBRL, *PSEUDOPEOPLE, *THIRD_PARTY],
    )
    parser.add_argument("--quick", action="store_true", help="1,500 people per world")
    parser.add_argument(
        "--people", type=int, help="people per generated world (the issue measures 20,000)"
    )
    parser.add_argument("--no-peers", action="store_true", help="ours only")
    parser.add_argument("--json", action="store_true", help="print the full figures as JSON")
    parser.add_argument(
        "--dedupe-febrl4",
        action="store_true",
        help="resolve FEBRL4's two files as one deduplication, not link-only",
    )
    parser.add_argument(
        "--dump-misses",
        type=Path,
        metavar="DIR",
        help="write our missed truth pairs per dataset, scored and explained, as CSV in DIR",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    for noisy in ("splink", "goldenmatch"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    people = args.people or PEOPLE["quick" if args.quick else "full"]
    collected = []
    for name in args.datasets:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            results = run(
                name,
                Path(tmp),
                people,
                peers=not args.no_peers,
                misses=args.dump_misses,
                link_only=not args.dedupe_febrl4,
            )
        results["wall_seconds"] = round(time.perf_counter() - started, 1)
        collected.append(results)
        print(json.dumps(results) if args.json else table([results]), flush=True)
    if not args.json and len(collected) > 1:
        print(f"\nall datasets ({people:,} people per generated world)\n{table(collected)}")


if __name__ == "__main__":
    main()
