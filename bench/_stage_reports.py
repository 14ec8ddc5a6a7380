"""Each stage of an identity run, and on Spark each SQL step Splink sends, reported on stderr
as it ends (`bench._process_tree.progress`): a long run stopped early still says how far it
got."""

from __future__ import annotations

import time

from bench._process_tree import progress


def report_stages() -> None:
    """Report each stage of `identity.resolve` as it ends (through `progress`)."""
    from contextlib import contextmanager

    from identity import _stages

    stages = getattr(_stages, "StageTimer", None)
    if stages is None:  # the stage timer moved: the run's summary still has the figures
        return
    original = stages.__call__

    @contextmanager
    def reporting(self, name):
        with original(self, name):
            yield
        # this process's CPU seconds so far (DuckDB's threads included): on a shared
        # machine the wall seconds mostly measure the neighbours
        progress(stage=name, seconds=self.seconds[name], process_cpu=round(time.process_time()))

    stages.__call__ = reporting


def report_splink_steps() -> None:
    """On Spark, each SQL step Splink sends (blocking, term-frequency tables, scoring, each
    clustering query) as it ends, through `progress`: a run stopped inside `predict` still
    says which steps it finished (`bench.spark_profile` times them in CPU seconds too)."""
    from splink.internals.spark.database_api import SparkAPI

    original = SparkAPI._sql_to_splink_dataframe

    def timed(self, sql, templated_name, physical_name):
        start = time.perf_counter()
        result = original(self, sql, templated_name, physical_name)
        progress(splink_step=templated_name, seconds=round(time.perf_counter() - start, 1))
        return result

    # Splink marks it final for subclasses; wrapped here for this one process
    setattr(SparkAPI, "_sql_to_splink_dataframe", timed)  # noqa: B010
