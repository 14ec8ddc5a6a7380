"""Feedback analysis is skipped when the messages and the configuration are those analysed."""

from __future__ import annotations

import duckdb
from dbt_fixture_warehouse import create_warehouse
from voice_messages import ALICE_VERBATIM

from core.settings import Settings
from voice import analyse_feedback

SECOND_VERBATIM = "Merci pour le remboursement rapide, conseillère très aimable."


def _analysed_at(settings: Settings) -> list:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute(
            "select message_id, text, analysed_at from feedback.message_analysis order by 1"
        ).fetchall()


def test_unchanged_messages_keep_their_analysis_and_an_edited_one_is_reanalysed(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    settings.ensure_dirs()
    create_warehouse(settings.duckdb_path)
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute(
            "update raw.callcenter__tickets set verbatim = ? where ticket_id = 'T1'",
            [ALICE_VERBATIM],
        )
    first = analyse_feedback(settings)
    analysed = _analysed_at(settings)
    assert first["messages"] == 1 and [r[:2] for r in analysed] == [("T1", ALICE_VERBATIM)]

    # the same one message: the stored analysis (same analysed_at) and the same summary
    assert analyse_feedback(settings) == first
    assert _analysed_at(settings) == analysed

    # the message edited (a later load of the ticket): analysed again
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute(
            "update raw.callcenter__tickets set verbatim = ? where ticket_id = 'T1'",
            [SECOND_VERBATIM],
        )
    analyse_feedback(settings)
    again = _analysed_at(settings)
    assert [r[:2] for r in again] == [("T1", SECOND_VERBATIM)]
    assert again[0][2] > analysed[0][2]
