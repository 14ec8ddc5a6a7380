"""Issue 12 on data the project did not write (FEBRL): a small file's counts of replaced
values are read within their noise, and a birth date shown replaced by one record of the
person bridges a chain the cannot-links would cut; on real DuckDB."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from identity_rows import homes_with_replaced_values, one_home_waived

from identity import _cluster
from identity._config import IdentityConfig, ReplacedValuesConfig
from identity._replaced import measure
from identity._tables import (
    CONSTRAINTS,
    EDGES,
    GUARD_EVENTS,
    LINK_IDS,
    RECORDS,
    REFUSED,
    REPLACED,
    SCOPE_EDGES,
)


def _small_file(households: int) -> duckdb.DuckDBPyConnection:
    """30 people, three records each at their home: A = 30 * 3 = 90 pairs agreeing on first
    name and birth date. People 0-5 have a fourth record with the first name replaced (3
    pairs each: B = 18), people 6-11 one with the birth date replaced (C = 18), people 12-13
    one with both (D = 6). Replacements explain B * C / A = 3.6 pairs, 4.5 at min_share 0.8:
    D = 6 is above that, by less than the noise of a count of 4.5 (2 * sqrt(4.5) = 4.2).
    ``households`` more people (from 14 on) live with a second member (another first name
    and birth date: 3 pairs each differing on both), far above it."""
    return homes_with_replaced_values(30, 6, 6, 2, households)


def test_a_small_file_shows_replaced_values_within_the_noise_of_its_counts():
    config = IdentityConfig(blocking=[["last_name"]])
    assert measure(_small_file(households=0), config, "records").strata == {"home"}
    # five households more: D = 6 + 15 = 21, beyond any noise of 4.5 expected
    assert measure(_small_file(households=5), config, "records").strata == frozenset()
    # without the noise allowance, 6 pairs where 4.5 are explained read as other people
    exact = config.model_copy(update={"replaced_values": ReplacedValuesConfig(noise_sd=0)})
    assert measure(_small_file(households=0), exact, "records").strata == frozenset()


def _constrained(
    records: list[tuple], edges: list[tuple], replaced: frozenset[str] = frozenset()
) -> dict[str, str]:
    """The customers of ``records`` (id, first name, last name, birth date, address line,
    and a postcode where it is not 04073) linked by ``edges`` (id, id, match weight) in one
    component, after the cannot-links, where the records show the strata ``replaced`` (by
    default none: households, as a retailer's records show)."""
    con = duckdb.connect()
    REPLACED.create_empty(con)
    for stratum in replaced:  # what the scoring stage measured
        con.execute(f"insert into {REPLACED} values (?)", [stratum])
    for relation in (RECORDS, EDGES, GUARD_EVENTS, LINK_IDS, REFUSED, CONSTRAINTS, SCOPE_EDGES):
        relation.create_empty(con)
    con.executemany(
        f"insert into {RECORDS} by name select ? as record_id, ? as first_name, "
        "? as last_name, ? as birth_date, ? as address_line, ? as postcode, "
        "'sunshine' as city",
        [(*r, "04073") if len(r) == 5 else r for r in records],
    )
    con.executemany(
        f"insert into {EDGES} by name select ? as record_id_l, ? as record_id_r, "
        "'probabilistic' as link_type, ? as match_weight",
        edges,
    )
    con.execute(f"create table clusters as select record_id, 'k' as cluster_id from {RECORDS}")
    clusters = _cluster.constrain(con, "clusters", IdentityConfig(blocking=[["last_name"]]))
    return dict(con.execute(f"select record_id, cluster_id from {clusters}").fetchall())


def test_one_card_bearing_the_name_and_the_other_birth_date_shows_a_birth_date_replaced():
    """FEBRL3's rec-538: ``sebastian mahony`` born 1922 at his address, the same name typed
    swapped at that address with a birth date of 1975 (linked: the same person at one
    address), and ``sebastian mahoay`` born 1922 with no address. The last two clash on the
    birth date alone; the first card bears the name of one and the birth date of the other,
    and is linked to both: the 1975 is a replaced birth date, and the three are one
    customer."""
    born, replaced = date(1922, 6, 13), date(1975, 1, 8)
    customers = _constrained(
        [
            ("a", "sebastian", "mahony", born, "le gallienne street"),
            ("b", "mahony", "sebastian", replaced, "le gallienne street"),
            ("c", "sebastian", "mahoay", born, None),
        ],
        [("a", "b", 17.6), ("a", "c", 15.1)],
    )
    assert customers["a"] == customers["b"] == customers["c"]


@pytest.mark.parametrize(
    ("first_name", "apart"),
    [
        # two names alike (Jaro-Winkler 0.905) are two people: charles orchard born 1958 at
        # his address, charlotte born 1985 at hers; one card between them, ``charlotye``
        # born 1985 at his address, is not enough to join them (it takes two)
        ("charles", True),
        # one name, one slip apart: that card shows her birth date replaced
        ("charlote", False),
    ],
)
def test_two_names_alike_clashing_on_the_birth_date_still_need_two_witnesses(first_name, apart):
    customers = _constrained(
        [
            ("a", first_name, "orchard", date(1958, 10, 7), "perry drive"),
            ("w", "charlotye", "orchard", date(1985, 3, 30), "perry drive"),
            ("c", "charlotte", "robson", date(1985, 3, 30), "dickinson street"),
        ],
        [("a", "w", 4.0), ("w", "c", 20.0)],
    )
    assert customers["w"] == customers["c"]
    assert (customers["a"] != customers["c"]) is apart


@pytest.mark.parametrize(
    ("city", "at_home"),
    [
        ("birmingha m gardens", True),  # the town mistyped beside a postcode two slips off
        ("birmingham gardens", True),
        ("hope valley", False),  # another town and another postcode: another home
    ],
)
def test_one_home_allows_a_mistyped_town_beside_a_mistyped_postcode(city, at_home):
    """FEBRL3's rec-427: ``madisoen welller`` at ``coplanddrive`` in 4350, Emmet Weller's
    card at ``copland drive`` in 4365 (first name and birth date replaced on the one, the
    postcode on the other)."""
    left = ("madisoen", "welller", "coplanddrive", "04350", city)
    right = ("emmet", "weller", "copland drive", "04365", "birmingham gardens")
    assert one_home_waived(left, right) == at_home


@pytest.mark.parametrize(("replaced", "apart"), [(frozenset(), True), (frozenset({"home"}), False)])
def test_a_clash_the_records_showed_replaced_at_one_home_cuts_no_chain(replaced, apart):
    """FEBRL2's rec-1900: Kiara Everett's card at her address, ``kieran everett`` there (the
    first name replaced, the postcode mistyped) and ``kiara everett`` with no address. The
    last two clash on first names; the first two are one home differing on the same two
    names. Where the records show first names replaced at one home, that clash is a
    replacement and the three are one customer; where they show households, kieran is
    another member and stays apart."""
    customers = _constrained(
        [
            ("o", "kiara", "everett", None, "eddy crescent", "06076"),
            ("d", "kiara", "everett", None, None, "04078"),
            ("k", "kieran", "everett", None, "eddy crescent", "0676"),
        ],
        [("o", "d", 15.0), ("o", "k", 6.9)],
        replaced,
    )
    assert customers["o"] == customers["d"]
    assert (customers["k"] != customers["d"]) is apart
