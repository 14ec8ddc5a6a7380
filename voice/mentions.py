"""The store or product a message names, from the configured vocabulary."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voice._text import fold


@dataclass(frozen=True)
class Mentions:
    store_code: str | None
    product: str | None


class MentionFinder:
    """Longest configured name first, whole words only, accents and case ignored."""

    def __init__(self, stores: dict[str, list[str]], products: list[str]) -> None:
        self._stores = sorted(
            ((fold(name), code) for code, names in stores.items() for name in names),
            key=lambda pair: len(pair[0]),
            reverse=True,
        )
        self._products = sorted((fold(p) for p in products), key=len, reverse=True)

    @staticmethod
    def _found(term: str, text: str) -> bool:
        return re.search(rf"(?<![a-z]){re.escape(term)}s?(?![a-z])", text) is not None

    def find(self, text: str) -> Mentions:
        folded = fold(text)
        store = next((code for name, code in self._stores if self._found(name, folded)), None)
        product = next((p for p in self._products if self._found(p, folded)), None)
        return Mentions(store_code=store, product=product)
