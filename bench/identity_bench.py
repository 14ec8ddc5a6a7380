"""Identity resolution benchmark: `python -m bench.identity_bench --records 100000 1000000`.

Measures, on synthetic raw tables of about N identity records:
1. the full resolution (`identity.resolve(full=True)` with a fresh model): wall time per
   stage (standardise, train, predict, cluster, persist) and peak memory;
2. an incremental run after adding about 1% new records;
3. the same standardised records through bare Splink (its DuckDB backend, a fresh in-memory
   database as Splink's README does) with the same settings: comparisons, blocking rules,
   training steps (prior from the same rules and recall, u by random sampling with the same
   `u_max_pairs` and seed, EM on the same blocking), predictions at the match threshold and
   Splink's connected components, for the overhead ratio.
Bare Splink does no standardisation, guards, stable ids, history, golden records or writing
of tables: `comparable_over_bare` compares its time with our train + predict + cluster
stages only. Peak memory is the process RSS sampled every 50 ms during each phase.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

RECORDS_PER_PERSON = 3.16  # measured on the synthetic generator
# Postcodes per synthetic city, as bench.identity_incremental and bench.scale_bench (6,000 in
# all, about France's count). The generator's default, one per city (twelve in all), makes
# blocking on first name and postcode quadratic at 1M: both sides then spend most of their
# time (180 s of 190 s here) scoring pairs no retailer of a country's postcodes would meet.
POSTCODES = 500


class _PeakRss:
    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._process.memory_info().rss)

    @contextmanager
    def phase(self, results: dict, name: str):
        self.peak = self._process.memory_info().rss
        start, cpu = time.perf_counter(), time.process_time()
        yield
        results[name] = {
            "seconds": round(time.perf_counter() - start, 2),
            # every thread's CPU time: steadier than wall time on a shared machine
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "peak_rss_mb": round(self.peak / 2**20),
        }

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()


def _bare_splink(settings, results: dict, rss: _PeakRss):
    """The same records and settings through Splink alone; its clusters, as Arrow."""
    from splink import Linker
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    from core.warehouse import connect
    from identity._backend import arrow, make_db_api, to_arrow
    from identity._config import load_identity_config
    from identity._model import (
        MODEL_COLUMNS,
        RETAINED_COLUMNS,
        model_columns_sql,
        settings_creator,
    )
    from identity._plan import plan_from_counts
    from identity._training import estimate_m_by_em, estimate_prior

    config = load_identity_config(settings.identity_config_path)
    with connect(settings) as con:
        records = arrow(
            con,
            f"select {model_columns_sql()}, "
            + ", ".join(f"0 as {c}" for c in RETAINED_COLUMNS)
            + " from identity.identity_records "
            "where coalesce(first_name, last_name, email, phone, postcode, city, address_line, "
            "cast(birth_date as varchar)) is not null",
        )
    plan = plan_from_counts(
        {c: records.num_rows - records[c].null_count for c in MODEL_COLUMNS}, config
    )
    stages: dict = {}
    stages_cpu: dict = {}  # CPU seconds per stage: what compares on a shared machine
    with rss.phase(results, "bare_splink"):
        start, cpu = time.perf_counter(), time.process_time()
        db_api = make_db_api()
        # the log level ours uses: Splink's INFO narration would bury the figures
        linker = Linker(db_api.register(records), settings_creator(plan), log_level=logging.WARNING)
        t = config.training
        estimate_prior(linker, plan, config, records.num_rows)
        linker.training.estimate_u_using_random_sampling(max_pairs=t.u_max_pairs, seed=t.seed)
        estimate_m_by_em(linker, plan, config)
        stages["train"] = round(time.perf_counter() - start, 2)
        stages_cpu["train"] = round(time.process_time() - cpu, 2)
        start, cpu = time.perf_counter(), time.process_time()
        predictions = linker.inference.predict(threshold_match_probability=config.match_threshold)
        stages["predict"] = round(time.perf_counter() - start, 2)
        stages_cpu["predict"] = round(time.process_time() - cpu, 2)
        start, cpu = time.perf_counter(), time.process_time()
        clusters = cluster_pairwise_predictions_at_threshold(
            records.select(["record_id"]),
            predictions,
            db_api=db_api,
            node_id_column_name="record_id",
            edge_id_column_name_left="record_id_l",
            edge_id_column_name_right="record_id_r",
            threshold_match_probability=None,
        )
        stages["cluster"] = round(time.perf_counter() - start, 2)
        stages_cpu["cluster"] = round(time.process_time() - cpu, 2)
    results["bare_splink"]["stages"] = stages
    results["bare_splink"]["stages_cpu"] = stages_cpu
    results["bare_splink"]["records"] = records.num_rows
    return to_arrow(clusters)


def run(records: int, workdir: Path, bare: bool = True, postcodes: int = POSTCODES) -> dict:
    """Run the three phases; returns the figures."""
    import identity
    from bench.identity_synthetic import generate, write_raw, write_truth
    from core.settings import Settings
    from core.warehouse import connect

    settings = Settings(data_dir=workdir / "data")
    settings.ensure_dirs()
    people = int(records / RECORDS_PER_PERSON)
    start = time.perf_counter()
    data = generate(people, seed=3, postcodes=postcodes)
    with connect(settings) as con:
        write_raw(con, data, batch_id="bench-1")
    results: dict = {"people": people, "setup_seconds": round(time.perf_counter() - start, 1)}
    write_truth(settings.truth_dir / "identity_truth.csv", data["truth"])
    del data
    with _PeakRss() as rss:
        with rss.phase(results, "full"):
            summary = identity.resolve(settings, full=True)
        results["full"].update(
            records=summary["records"],
            stages=summary["stage_seconds"],
            customers=summary["customers"],
        )
        quality = identity.evaluate(settings)["identified"]
        results["full"]["pairwise_f1"] = quality["pairwise_f1"]
        results["full"]["pairwise_precision"] = quality["pairwise_precision"]
        batch = generate(max(1, people // 100), seed=4, offset=people, postcodes=postcodes)
        with connect(settings) as con:
            write_raw(con, batch, batch_id="bench-2")
        with rss.phase(results, "incremental"):
            summary = identity.resolve(settings)
        results["incremental"].update(
            records=summary["records"],
            stages=summary["stage_seconds"],
            scored=summary["scored_records"],
        )
        if bare:
            _bare_splink(settings, results, rss)
            bare_seconds = results["bare_splink"]["seconds"]
            stages = results["full"]["stages"]
            comparable = sum(stages.get(k, 0.0) for k in ("train", "predict", "cluster"))
            results["full_over_bare"] = round(results["full"]["seconds"] / bare_seconds, 2)
            results["full_cpu_over_bare_cpu"] = round(
                results["full"]["cpu_seconds"] / results["bare_splink"]["cpu_seconds"], 2
            )
            results["comparable_over_bare"] = round(comparable / bare_seconds, 2)
    results["settings"] = _settings_used(settings)
    return results


def _settings_used(settings) -> dict:
    """The Splink settings both sides share, as the report states them."""
    from identity._config import load_identity_config
    from identity._review import scoring_config

    config = load_identity_config(settings.identity_config_path)
    t = config.training
    return {
        "blocking": config.blocking,
        "prior_rules": t.prior_rules,
        "prior_recall": t.prior_recall,
        "u_max_pairs": t.u_max_pairs,
        "seed": t.seed,
        "em_blocking": t.em_blocking,
        "match_threshold": config.match_threshold,
        "ours_scores_down_to": scoring_config(config).match_threshold,  # the review band
    }


def summary(results: dict) -> str:
    """The figures as a few readable lines."""
    full, incremental = results["full"], results["incremental"]
    stages = ", ".join(f"{k} {v:.2f}" for k, v in full["stages"].items())
    added = incremental["records"] - full["records"]
    lines = [
        f"{full['records']:,} identity records ({results['people']:,} people)",
        f"  full run      {full['seconds']:6.2f} s, {full['cpu_seconds']:.2f} s CPU  ({stages});"
        f" peak RSS {full['peak_rss_mb']} MB;"
        f" pairwise P {full['pairwise_precision']} F1 {full['pairwise_f1']}",
        f"  incremental   {incremental['seconds']:6.2f} s, {incremental['cpu_seconds']:.2f} s CPU "
        f"(+{added:,} records, {incremental['scored']:,} scored); peak RSS "
        f"{incremental['peak_rss_mb']} MB",
    ]
    if "bare_splink" in results:
        bare = results["bare_splink"]
        bare_stages = ", ".join(f"{k} {v:.2f}" for k, v in bare["stages"].items())
        lines += [
            f"  bare Splink   {bare['seconds']:6.2f} s, {bare['cpu_seconds']:.2f} s CPU  "
            f"({bare_stages}); peak RSS {bare['peak_rss_mb']} MB",
            f"  full / bare {results['full_over_bare']}x ({results['full_cpu_over_bare_cpu']}x "
            f"CPU); train+predict+cluster / bare {results['comparable_over_bare']}x",
        ]
    return "\n".join(lines)


def _record(results: dict) -> None:
    """The run's figures for `make bench`'s table (bench._figures)."""
    from bench._figures import record

    full, size = results["full"], f"{results['full']['records']:,}"
    bare = results.get("bare_splink")
    record(
        f"identity full run, {size} records (all stages)",
        full["seconds"],
        bare and bare["seconds"],
        "Splink alone: train+predict+cluster",
    )
    comparable = sum(full["stages"].get(k, 0.0) for k in ("train", "predict", "cluster"))
    record(
        f"identity train+predict+cluster, {size} records",
        round(comparable, 2),
        bare and bare["seconds"],
        "Splink alone",
    )
    # bare Splink is handed its input made; ours is shaped in the "splink input" stage
    shaping = full["stages"].get("splink input", 0.0)
    record(
        f"identity train+predict+cluster and shaping Splink's input, {size} records",
        round(comparable + shaping, 2),
        bare and bare["seconds"],
        "Splink alone, its input made beforehand",
    )
    record(
        f"identity full run, {size} records (all stages), CPU",
        full["cpu_seconds"],
        bare and bare["cpu_seconds"],
        "Splink alone: train+predict+cluster",
    )
    record(f"identity +1% incremental, {size} records", results["incremental"]["seconds"])
    record(f"identity +1% incremental, {size} records, CPU", results["incremental"]["cpu_seconds"])
    record(f"identity pairwise F1, {size} records", full["pairwise_f1"], unit="F1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records", type=int, nargs="+", default=[100_000], help="one run per size given"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Splink phase")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--postcodes", type=int, default=POSTCODES, help="per synthetic city")
    parser.add_argument("--json", action="store_true", help="print the full figures as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # Splink's EM warnings would bury the figures
    for records in args.records:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            results = run(records, Path(tmp), bare=not args.no_bare, postcodes=args.postcodes)
        print(json.dumps(results, indent=2) if args.json else summary(results), flush=True)
        _record(results)
    print("settings (both sides):", json.dumps(results["settings"]))


if __name__ == "__main__":
    main()
