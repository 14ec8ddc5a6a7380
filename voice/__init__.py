"""Voice of the customer: topics, sentiment and mentions of what customers write, offline."""

from voice.analyse import analyse_feedback, analyse_texts
from voice.config import FeedbackConfig, load_feedback_config

__all__ = ["FeedbackConfig", "analyse_feedback", "analyse_texts", "load_feedback_config"]
