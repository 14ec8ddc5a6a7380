"""Identity resolution benchmark: `python -m bench.identity_bench --records 100000`.

Measures, on synthetic raw tables of about N identity records:
1. the full resolution (`identity.resolve(full=True)` with a fresh model): wall time per
   stage (standardise, train, predict, cluster, persist) and peak memory;
2. an incremental run after adding about 1% new records;
3. the same standardised records through bare Splink with the same settings and training
   (train, predict, cluster), for the overhead ratio.
Peak memory is the process RSS sampled every 50 ms during each phase.
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
        start = time.perf_counter()
        yield
        results[name] = {
            "seconds": round(time.perf_counter() - start, 2),
            "peak_rss_mb": round(self.peak / 2**20),
        }

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()


def _bare_splink(settings, results: dict, rss: _PeakRss) -> None:
    """The same records and settings through Splink alone."""
    from splink import Linker, block_on
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    from cdp.warehouse import connect
    from identity._config import load_identity_config
    from identity._model import MODEL_COLUMNS, make_db_api, settings_creator
    from identity._resolve import arrow

    config = load_identity_config(settings.identity_config_path)
    with connect(settings) as con:
        records = arrow(
            con,
            f"select {', '.join(MODEL_COLUMNS)} from identity.identity_records "
            "where coalesce(first_name, last_name, email, phone, postcode, city, "
            "cast(birth_date as varchar)) is not null",
        )
    stages: dict = {}
    with rss.phase(results, "bare_splink"):
        start = time.perf_counter()
        db_api = make_db_api(config)
        linker = Linker(db_api.register(records), settings_creator(config))
        t = config.training
        linker.training.estimate_probability_two_random_records_match(
            [block_on(*c) for c in t.prior_rules], recall=t.prior_recall
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=t.u_max_pairs, seed=t.seed)
        for cols in t.em_blocking:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), estimate_without_term_frequencies=True
            )
        stages["train"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        predictions = linker.inference.predict(threshold_match_probability=config.match_threshold)
        stages["predict"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        cluster_pairwise_predictions_at_threshold(
            records.select(["record_id"]),
            predictions,
            db_api=db_api,
            node_id_column_name="record_id",
            edge_id_column_name_left="record_id_l",
            edge_id_column_name_right="record_id_r",
            threshold_match_probability=None,
        )
        stages["cluster"] = round(time.perf_counter() - start, 2)
    results["bare_splink"]["stages"] = stages
    results["bare_splink"]["records"] = records.num_rows


def run(records: int, workdir: Path, bare: bool = True) -> dict:
    """Run the three phases; returns the figures."""
    import identity
    from bench.identity_synthetic import generate, write_raw, write_truth
    from cdp.settings import Settings
    from cdp.warehouse import connect

    settings = Settings(data_dir=workdir / "data")
    settings.ensure_dirs()
    people = int(records / RECORDS_PER_PERSON)
    start = time.perf_counter()
    data = generate(people, seed=3)
    with connect(settings) as con:
        write_raw(con, data)
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
        batch = generate(max(1, people // 100), seed=4, offset=people)
        with connect(settings) as con:
            write_raw(con, batch)
        with rss.phase(results, "incremental"):
            summary = identity.resolve(settings)
        results["incremental"].update(
            records=summary["records"],
            stages=summary["stage_seconds"],
            scored=summary["scored_records"],
        )
        if bare:
            _bare_splink(settings, results, rss)
            results["full_over_bare"] = round(
                results["full"]["seconds"] / results["bare_splink"]["seconds"], 2
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Splink phase")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        print(json.dumps(run(args.records, Path(tmp), bare=not args.no_bare), indent=2))


if __name__ == "__main__":
    main()
