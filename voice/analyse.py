"""Read every configured message table, analyse the texts, write ``feedback.message_analysis``.

Stages: ``extract`` (raw tables named in config/feedback.yml, latest version of each message)
-> ``analyse_texts`` (lemmas, topics, sentiment, mentions) -> ``persist`` (the whole table
replaced in one transaction, so a re-run gives the same table and a failure leaves the old).
A run whose messages and configuration are those the table was written from keeps it.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.warehouse import transaction
from voice._text import prepare
from voice.config import FeedbackConfig, load_feedback_config
from voice.mentions import MentionFinder
from voice.sentiment import SentimentModel
from voice.topics import discover_topics

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

SCHEMA, TABLE = "feedback", "message_analysis"
STATE = "analysis_state"  # the fingerprint of the messages the table analyses
COLUMNS = (
    "source",
    "identity_type",
    "message_id",
    "author_key",
    "channel",
    "written_at",
    "text",
    "rating",
    "topic",
    "topic_terms",
    "sentiment",
    "sentiment_score",
    "store_code",
    "product",
    "analysed_at",
)


@dataclass(frozen=True)
class Analysis:
    topic: str
    topic_terms: str
    sentiment: str
    sentiment_score: float
    store_code: str | None
    product: str | None


def analyse_texts(
    texts: list[str], ratings: list[float | None], config: FeedbackConfig
) -> list[Analysis]:
    """Topic, sentiment and mentions of each text; topics are discovered on ``texts``."""
    if not texts:
        return []
    messages = prepare(texts)
    topics = discover_topics(messages, config.topics.count, config.topics.names)
    sentiments = SentimentModel(config.sentiment.params()).fit(messages).score(messages, ratings)
    finder = MentionFinder(config.mentions.stores, config.mentions.products)
    results = []
    for index, (text, sentiment) in enumerate(zip(texts, sentiments, strict=True)):
        topic_index = topics.assignments[index]
        mentions = finder.find(text)
        results.append(
            Analysis(
                topic=topics.label_of(topic_index),
                topic_terms=" ".join(topics.topics[topic_index].top_terms[:5])
                if topic_index >= 0
                else "",
                sentiment=sentiment.label,
                sentiment_score=sentiment.score,
                store_code=mentions.store_code,
                product=mentions.product,
            )
        )
    return results


def _author_keys(config: FeedbackConfig, mappings: list) -> dict[str, str]:
    """Per message source, the SQL giving the identity source key of a message's author:
    the source key of the `identities:` mapping that reads the same table as that identity
    type (a caller's ticket id, an SMS sender's number), else the message id."""
    keys = {}
    for source in config.sources:
        found = [
            m.source_key
            for m in mappings
            if m.identity_type == source.identity_type and m.raw_table == source.table
        ]
        keys[source.name] = found[0] if found else source.message_id
    return keys


def extract(con: Any, config: FeedbackConfig, mappings: list | None = None) -> list[dict[str, Any]]:
    """The latest version of every non-empty message of every configured source table."""
    from core.warehouse import table_exists

    authors = _author_keys(config, mappings or [])
    rows: list[dict[str, Any]] = []
    for source in config.sources:
        schema, table = source.table.split(".", 1)
        if not table_exists(con, schema, table):
            log.info("feedback source %s: %s not loaded yet, skipped", source.name, source.table)
            continue
        rating = f"try_cast({source.rating} as double)" if source.rating else "null"
        channel = source.channel or f"'{source.name}'"
        found = con.execute(
            f"""
            select ? as source, ? as identity_type, cast({source.message_id} as varchar),
                   cast(({authors[source.name]}) as varchar),
                   cast({channel} as varchar), cast({source.written_at} as timestamp),
                   cast({source.text} as varchar), {rating}
            from {source.table}
            where nullif(trim(cast({source.text} as varchar)), '') is not null
              and ({source.where or "true"})
            qualify row_number() over (
                partition by {source.message_id} order by _loaded_at desc) = 1
            """,
            [source.name, source.identity_type],
        ).fetchall()
        keys = ("source", "identity_type", "message_id", "author_key", "channel", "written_at",
                "text", "rating")  # fmt: skip
        rows += [dict(zip(keys, row, strict=True)) for row in found]
    return rows


def persist(con: Any, rows: list[dict[str, Any]], fingerprint: str | None = None) -> None:
    """Replace ``feedback.message_analysis`` with ``rows`` in one transaction, with the
    ``fingerprint`` of the messages they analyse (in ``feedback.analysis_state``)."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    with transaction(con):
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"""create or replace table {SCHEMA}.{TABLE} (
                source varchar, identity_type varchar, message_id varchar,
                author_key varchar, channel varchar,
                written_at timestamp, text varchar, rating double, topic varchar,
                topic_terms varchar, sentiment varchar, sentiment_score double,
                store_code varchar, product varchar, analysed_at timestamp)"""
        )
        if len(frame):
            con.register("analysed_frame", frame)
            con.execute(f"insert into {SCHEMA}.{TABLE} select * from analysed_frame")
            con.unregister("analysed_frame")
        con.execute(
            f"create or replace table {SCHEMA}.{STATE} as "
            "select ?::varchar as fingerprint, ?::bigint as messages",
            [fingerprint, len(rows)],
        )


def analyse_feedback(settings: Settings) -> dict[str, Any]:
    """Analyse every customer message in the warehouse; counts by sentiment and topic."""
    from core.warehouse import connect
    from identity import identity_mappings

    config = load_feedback_config(settings.config_dir / "feedback.yml")
    with connect(settings) as con:
        rows = extract(con, config, identity_mappings(settings))
        fingerprint = _fingerprint(rows, config)
        if _analysed(con, fingerprint):
            # Topics and the sentiment model are fitted on all the messages: the same
            # messages under the same configuration give the stored table again.
            rows = [
                dict(zip(("sentiment", "topic"), row, strict=True))
                for row in con.execute(f"select sentiment, topic from {SCHEMA}.{TABLE}").fetchall()
            ]
            log.info("feedback: %d messages, none new or changed: analysis kept", len(rows))
        else:
            analyses = analyse_texts([r["text"] for r in rows], [r["rating"] for r in rows], config)
            analysed_at = datetime.now(UTC).replace(tzinfo=None)
            for row, analysis in zip(rows, analyses, strict=True):
                row.update(vars(analysis), analysed_at=analysed_at)
            persist(con, rows, fingerprint)
    summary: dict[str, Any] = {"messages": len(rows), "sentiment": {}, "topics": {}}
    for row in rows:
        summary["sentiment"][row["sentiment"]] = summary["sentiment"].get(row["sentiment"], 0) + 1
        summary["topics"][row["topic"]] = summary["topics"].get(row["topic"], 0) + 1
    log.info("feedback analysed: %s", summary)
    return summary


def _fingerprint(rows: list[dict[str, Any]], config: FeedbackConfig) -> str:
    """What the analysis is a function of: the extracted messages, the configuration and
    the analyser's own code (an upgraded analyser analyses again)."""
    digest = hashlib.sha256(config.model_dump_json().encode())
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    for row in sorted(repr(tuple(row.values())) for row in rows):
        digest.update(row.encode())
    return digest.hexdigest()


def _analysed(con: Any, fingerprint: str) -> bool:
    """True when ``feedback.message_analysis`` was written from these very messages."""
    from core.warehouse import table_exists

    if not table_exists(con, SCHEMA, STATE):
        return False
    found = con.execute(
        f"select count(*) from {SCHEMA}.{STATE} where fingerprint = ?", [fingerprint]
    ).fetchone()
    return bool(found and found[0])
