"""Reviews (a review platform's CSV) and social mentions (a listening tool's JSON lines).

About one person in ten reviews, one in forty is mentioned on a social network under a
handle of their own. Reviewers give their e-mail on half the reviews (the platform's
verified buyers), so those join the RCU; handles link only a person's own mentions.
"""

from __future__ import annotations

import random
from pathlib import Path

from sample_data._catalogue import Product
from sample_data._files import CsvWriter, JsonlWriter, Timeline, batch_paths
from sample_data._noise import email_token
from sample_data._people import Person
from sample_data._reference import STORES
from sample_data._reviews_text import rating_for, review_text
from sample_data._truth import Truth

HEADER = ["review_id", "date", "platform", "reviewer", "email", "stars", "review", "product",
          "store"]  # fmt: skip
_STORE_NAMES = {code: name for code, name, _ in STORES}
_PLATFORMS = ("Avis Vérifiés", "Trustpilot", "Google")
_NETWORKS = ("instagram", "x", "facebook", "tiktok")


def _never_malformed():
    return lambda row, rng: row


def _handle(person: Person, rng: random.Random) -> str:
    first, last = email_token(person.first_name), email_token(person.last_name)
    style = rng.randrange(3)
    if style == 0:
        return f"@{first}{last[:3]}{rng.randrange(10, 99)}"
    if style == 1:
        return f"@{first}_{last}"
    return f"@{first[:1]}{last}{rng.randrange(1980, 2008)}"


def _product_words(product: Product) -> str:
    return product.name.split(" ")[0].lower() if " " not in product.name else product.name.lower()


def write_reviews(
    directory: Path,
    rng: random.Random,
    people: list[Person],
    products: list[Product],
    timeline: Timeline,
    truth: Truth,
) -> dict[str, int]:
    """Write ``reviews_<date>.csv`` and ``mentions_<date>.jsonl`` per batch."""
    common = {"rng": rng, "malformer": _never_malformed(), "malformed_rate": 0.0,
              "reexport_rate": 0.0, "min_malformed": 0}  # fmt: skip
    reviews = CsvWriter(
        batch_paths(directory, "reviews", ".csv", timeline), HEADER, delimiter=",",
        encoding="utf-8", **common,
    )  # fmt: skip
    mentions = JsonlWriter(batch_paths(directory, "mentions", ".jsonl", timeline), **common)
    review_number = mention_number = 0
    for person in people:
        draw = rng.random()
        if draw >= 0.125:
            continue
        start = person.joined_day * 86400
        if draw < 0.1:
            for _ in range(rng.choices((1, 2, 3), (70, 22, 8))[0]):
                review_number += 1
                key = f"RV-{review_number:07d}"
                truth.add("review_author", key, person.person_id)
                product = rng.choice(products)
                store = _STORE_NAMES.get(person.store, "")
                text, sentiment = review_text(rng, _product_words(product), store or "la boutique")
                written = rng.randrange(start, timeline.span + 1)
                reviews.write(timeline.batch_of(written), [
                    key, f"{timeline.at(written):%Y-%m-%d %H:%M:%S}", rng.choice(_PLATFORMS),
                    f"{person.first_name} {person.last_name[:1]}.",
                    person.email if person.email and rng.random() < 0.5 else "",
                    str(rating_for(sentiment, rng)), text, product.name,
                    store if rng.random() < 0.4 else "",
                ])  # fmt: skip
        else:
            handle = _handle(person, rng)
            network = rng.choice(_NETWORKS)
            for _ in range(rng.choices((1, 2, 4), (60, 30, 10))[0]):
                mention_number += 1
                key = f"SM-{mention_number:07d}"
                truth.add("social_author", key, person.person_id)
                product = rng.choice(products)
                store = _STORE_NAMES.get(person.store, "la boutique")
                text, _ = review_text(rng, _product_words(product), store)
                written = rng.randrange(start, timeline.span + 1)
                mentions.write(timeline.batch_of(written), {
                    "id": key, "created_at": f"{timeline.at(written):%Y-%m-%dT%H:%M:%SZ}",
                    "network": network, "author_name": f"{person.first_name} {person.last_name}",
                    "author_handle": handle, "text": text,
                })  # fmt: skip
    return {**reviews.close(), **mentions.close()}
