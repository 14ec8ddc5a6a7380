"""The run's stage list: each stage reads only what an earlier one wrote, and a list out of
order fails before the stage runs, naming what is missing."""

from __future__ import annotations

import duckdb
import pytest

from identity import _tables
from identity._resolve import STAGES, TRAIN_STAGES
from identity._stages import Run, Stage, StageInputError, run_stages


@pytest.mark.parametrize("stages", [STAGES, TRAIN_STAGES], ids=["resolve", "train"])
@pytest.mark.parametrize("mode", ["full", "incremental"])
def test_every_stage_reads_only_what_an_earlier_stage_wrote(stages, mode):
    written: set[str] = set()
    for stage in stages:
        incremental = mode == "incremental"
        reads = stage.reads + (stage.incremental_reads if incremental else ())
        assert set(reads) <= written, f"{stage.name} reads {set(reads) - written} unwritten"
        written |= set(stage.writes + (stage.incremental_writes if incremental else ()))


def test_a_stage_before_its_inputs_fails_naming_them():
    ran: list[str] = []
    con = duckdb.connect()
    run = Run(con, None, None, [], run_id="test")  # type: ignore[arg-type]

    def make_records(run: Run) -> None:
        _tables.RECORDS.create_empty(run.con)
        ran.append("records")

    reads_records = Stage("read records", lambda run: ran.append("read"), (_tables.RECORDS,))
    writes_records = Stage("write records", make_records, (), (_tables.RECORDS,))
    with pytest.raises(StageInputError, match="_identity_records_stage"):
        run_stages(run, [reads_records, writes_records])
    assert ran == []  # nothing ran: the check comes first
    run_stages(run, [writes_records, reads_records])
    assert ran == ["records", "read"]


def test_shared_relations_have_unique_prefixed_names_and_say_what_they_hold():
    names = list(_tables.REGISTRY)
    assert len(names) == len(set(names))
    for name, relation in _tables.REGISTRY.items():
        assert name.startswith("_identity_") and relation == name
        assert relation.columns and relation.doc, name
