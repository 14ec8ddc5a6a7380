"""``config/feedback.yml``: topic names, sentiment weights, what counts as a store or product."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core.config_files import load_yaml_model
from voice.sentiment import SentimentParams


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TopicsConfig(_Strict):
    count: int = Field(8, ge=1, le=50)
    names: dict[str, str] = Field(default_factory=dict)


class SentimentConfig(_Strict):
    classifier_weight: float = Field(0.3, ge=0, le=1)
    rating_weight: float = Field(0.15, ge=0, le=0.5)  # bounded: a rating never decides alone
    negative_below: float = -0.15
    positive_above: float = 0.2

    def params(self) -> SentimentParams:
        return SentimentParams(**self.model_dump())


class MentionsConfig(_Strict):
    stores: dict[str, list[str]] = Field(default_factory=dict)
    products: list[str] = Field(default_factory=list)


class MessageSource(_Strict):
    """A raw table holding customer text, and how its rows reach a customer: through the
    identity record ``identity_type`` keys the row by (its `identities:` mapping over the
    same table; the message id when none does)."""

    name: str
    table: str = Field(pattern=r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
    identity_type: str
    message_id: str
    text: str
    written_at: str
    rating: str | None = None
    channel: str | None = None
    # SQL over the raw row: which rows are messages (an SMS export also holds sends, clicks)
    where: str | None = None


class FeedbackConfig(_Strict):
    sources: list[MessageSource] = Field(default_factory=list)
    topics: TopicsConfig = TopicsConfig()
    sentiment: SentimentConfig = SentimentConfig()
    mentions: MentionsConfig = MentionsConfig()


def load_feedback_config(path: Path) -> FeedbackConfig:
    """Read ``path``; defaults when the file does not exist."""
    return load_yaml_model(path, FeedbackConfig, hint="see config/feedback.yml in the repository")
