"""Topics discovered from the messages themselves: NMF on TF-IDF of content lemmas.

A topic is labelled by its top terms (``livraison_colis_livrer``); the analyst renames it
in ``config/feedback.yml`` by naming a term that must be among its top terms, which keeps
the name when a re-run reorders topics.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from voice._text import Prepared

# words every message uses whatever it is about: they would make topics of politeness
STEM = 5
_GENERIC = {
    "bonjour",
    "merci",
    "avoir",
    "etre",
    "faire",
    "aller",
    "tres",
    "vouloir",
    "pouvoir",
    "bien",
    "fois",
    "jour",
    "vraiment",
    "toujours",
    "encore",
    "commande",
    "commander",
    "tout",
    "plus",
    "rien",
    "vous",
    "super",
    "bon",
    "bonne",
}


def _is_aspect(term: str) -> bool:
    """Topics are what messages are about, not how they feel: sentiment words are left out."""
    from voice.sentiment import _stem_weight

    return term not in _GENERIC and not _stem_weight(term)


@dataclass(frozen=True)
class Topic:
    label: str
    top_terms: tuple[str, ...]


@dataclass(frozen=True)
class TopicModel:
    topics: tuple[Topic, ...]
    assignments: tuple[int, ...]  # topic index per message, -1 when the message has no term

    def label_of(self, index: int) -> str:
        return "autre" if index < 0 else self.topics[index].label


def _name(terms: tuple[str, ...], names: dict[str, str], taken: set[str]) -> str:
    for term in terms[:5]:
        name = names.get(term)
        if name and name not in taken:
            return name
    return "_".join(terms[:3])


def discover_topics(
    messages: list[Prepared], count: int = 8, names: dict[str, str] | None = None, seed: int = 0
) -> TopicModel:
    """Fit ``count`` topics on ``messages`` and give each message its strongest topic."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    # a stem merges a family (rembourser, remboursement): short texts share too few words
    spelled: dict[str, Counter[str]] = defaultdict(Counter)  # stem -> the lemmas it stands for
    docs = []
    for message in messages:
        terms = [t for t in message.content if _is_aspect(t)]
        for term in terms:
            spelled[term[:STEM]][term] += 1
        docs.append(" ".join(t[:STEM] for t in terms))
    # tokens are the stems as joined above: the default pattern would split `part-d` or
    # `aujourd'h` into pieces no stem stands for
    vectoriser = TfidfVectorizer(
        min_df=2, max_df=0.3, sublinear_tf=True, token_pattern=r"[^ ]+", lowercase=False
    )
    try:
        matrix = vectoriser.fit_transform(docs)
    except ValueError:  # no term appears twice: too few messages to discover anything
        return TopicModel(topics=(), assignments=tuple(-1 for _ in messages))
    count = max(1, min(count, matrix.shape[1], len(messages)))
    nmf = NMF(n_components=count, init="nndsvda", random_state=seed, max_iter=500)
    weights = nmf.fit_transform(matrix)
    vocabulary = vectoriser.get_feature_names_out()
    topics: list[Topic] = []
    taken: set[str] = set()
    for component in nmf.components_:
        stems = (str(vocabulary[i]) for i in component.argsort()[::-1][:8])
        top_terms = tuple(spelled[stem].most_common(1)[0][0] for stem in stems)
        label = _name(top_terms, names or {}, taken)
        taken.add(label)
        topics.append(Topic(label=label, top_terms=top_terms))
    assignments = tuple(int(row.argmax()) if row.max() > 0 else -1 for row in weights)
    return TopicModel(topics=tuple(topics), assignments=assignments)
