"""Sample exports of a fictional French retailer, seeded, with ground truth (`cdp generate`)."""

from sample_data.generate import generate

__all__ = ["generate"]
