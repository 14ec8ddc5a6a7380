"""Loading an unsubscribe after the build, and reading a segment's members, for the API tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

ACTIVITY_HEADER = "campaign_id,campaign_name,email,action,timestamp,url,bounce_type"


def write_unsubscribe(settings, email: str) -> None:
    """An e-mail platform's activity file holding one unsubscribe, a minute ago, landed."""
    at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    folder = settings.landing_dir / "email"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "activity_29991231.csv").write_text(
        f"{ACTIVITY_HEADER}\nc-late,Late,{email},unsubscribe,{at},,\n", encoding="utf-8"
    )


def land_unsubscribe(settings, email: str) -> None:
    """One unsubscribe landed and loaded as the ingestion DAG loads it."""
    from cdp import pipeline

    write_unsubscribe(settings, email)
    assert pipeline.ingest_sources(settings, ["email"])["files_loaded"] == 1


def members(client, headers, segment: str, channel: str) -> list[str]:
    """The segment's members the API says ``channel`` may reach (one page holds them all)."""
    body = client.get(
        f"/v1/segments/{segment}/members",
        params={"channel": channel, "limit": 5000},
        headers=headers,
    ).json()
    assert body["next"] is None
    return body["customer_ids"]
