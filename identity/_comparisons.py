"""The Splink model's comparisons and their levels (the model: ``_model``).

Names and birth dates use Splink's library comparisons. E-mail, phone and place are
written here; their levels, in order (with an example pair):

``email`` (standardised: typo domains fixed, gmail dots and +tags gone)
  - null: one side missing
  - same email: ``jean.dupont@orange.fr`` twice
  - same name-made username, other domain: ``isabelle.morel@orange.fr`` /
    ``isabelle.morel@free.fr`` for an Isabelle Morel. Two namesakes write exactly this at
    two providers: it says the name again, so it weighs nothing (m = u, fixed); the name
    comparisons already count the name, with its term frequency.
  - same username, other domain: ``lapin.bleu75@orange.fr`` / ``lapin.bleu75@free.fr``,
    term-frequency adjusted on the username (``email_user``): a common one says less.
  - different email: anything else. No fuzzy level on purpose: e-mails built from names
    (``jean.dupont12@`` / ``jean.dupont47@``) are close without being the same person's.

``phone`` (E.164 strings)
  - null: one side missing
  - same phone: ``+33612345678`` / ``+33612345678``
  - one digit off: ``+33612345678`` / ``+33612345679``
  - different: anything else

``place`` (postcode and city together, since sources give one or the other)
  - null: neither postcode nor city known on both sides
  - same postcode: ``75011`` / ``75011``
  - same city: ``lyon`` / ``lyon`` with different or missing postcodes
  - postcode typo (one digit off, or two swapped: ``04570`` / ``04579``, ``03072`` /
    ``03027``) in another or an unknown city: a typo is not another place
  - same departement: ``75011`` / ``75018``
  - different: anything else

``address`` (standardised address line: lower case, accents folded, single spaces)
  - null: one side missing
  - same address: ``12 rue de la paix`` twice, term-frequency adjusted: an apartment
    building's line, shared by many records, says less than a house's
  - similar address (Jaro-Winkler >= 0.9): ``12 rue de la paix`` / ``12 rue de la pais``
  - different: anything else
An address is household evidence, not personal evidence: a household, or a building, shares
it. Its term-frequency adjustment can only lower it (``_training``), and in a pair whose
phones or birth dates differ it weighs at most ``household_max_match_weight`` (``_links``),
so it never outweighs a different phone or birth date.

Every SQL fragment here is written through Splink's column expressions or portable SQL,
so the same comparisons run on Splink's Spark backend.
"""

from __future__ import annotations

from identity import _plan

# A name found in the other field counts when equal or within a typo (issue 12: a typo is
# Jaro-Winkler >= 0.9)
CROSSED_TYPO = 0.9


def _swapped_names_level():
    """``kyra everett`` / ``everett kyra``: the first and last names typed the other way
    round, whichever record is on the left, one of them possibly with a typo
    (``vincejnt jessica`` / ``jessica vincent``). A level of both name comparisons, so a
    swap weighs like two agreeing names. Both names must cross over: one name in the other
    field (``bernard`` of ``thomas bernard`` / ``bernard michel``) is a coincidence."""
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class SwappedNames(ComparisonLevelCreator):
        def create_sql(self, sql_dialect) -> str:
            jw = sql_dialect.jaro_winkler_function_name
            # the crossing name equal or within a typo (``samuel ryan`` / ``ryman samel``)
            return (
                f"({jw}(first_name_l, last_name_r) >= {CROSSED_TYPO} "
                f"and {jw}(last_name_l, first_name_r) >= 0.8) or "
                f"({jw}(first_name_r, last_name_l) >= {CROSSED_TYPO} "
                f"and {jw}(last_name_r, first_name_l) >= 0.8)"
            )

        def create_label_for_charts(self) -> str:
            return "first and last names swapped"

    return SwappedNames()


def _one_name_crossed_level():
    """``james coleman`` / ``howie james``: one record's first name is the other's last
    name (or within a typo of it: ``rhett george`` / ``maier rhet``), the other two names
    unrelated (swapped at the till, one of them then mistyped
    past recognition or replaced), both records carrying both names. A coincidence as
    often as not (``thomas bernard`` / ``bernard michel``: a first name that is also a
    surname): its own level of both name comparisons, weighed by what training finds."""
    from splink.internals.comparison_level_creator import ComparisonLevelCreator

    class OneNameCrossed(ComparisonLevelCreator):
        def create_sql(self, sql_dialect) -> str:
            jw = sql_dialect.jaro_winkler_function_name
            return (
                f"({jw}(first_name_l, last_name_r) >= {CROSSED_TYPO} and last_name_l is not null "
                "and first_name_r is not null) or "
                f"({jw}(first_name_r, last_name_l) >= {CROSSED_TYPO} and last_name_r is not null "
                "and first_name_l is not null)"
            )

        def create_label_for_charts(self) -> str:
            return "one name in the other field"

    return OneNameCrossed()


def _name_comparison(column: str, description: str, letter_slip: bool = False):
    """Splink's NameComparison levels plus first and last names swapped, for ``column``:
    null, exact (term-frequency adjusted), swapped, Jaro-Winkler >= 0.92, >= 0.8, one name
    in the other field, and with ``letter_slip`` one letter slip before "All other
    comparisons" ("lae" / "lea":
    Jaro-Winkler 0.56; a typo is not another person). The real-time scorer
    (``_realtime_weights``) reads these levels from the saved model."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    slip = [cll.DamerauLevenshteinLevel(column, 1).configure(label_for_charts="one letter slip")]
    return cl.CustomComparison(
        output_column_name=column,
        comparison_description=description,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column, term_frequency_adjustments=True),
            _swapped_names_level(),
            cll.JaroWinklerLevel(column, 0.92),
            cll.JaroWinklerLevel(column, 0.8),
            _one_name_crossed_level(),
            *(slip if letter_slip else []),
            cll.ElseLevel(),
        ],
    )


def comparisons(kept: tuple[str, ...]) -> list:
    """Splink comparisons for the inputs ``kept`` (``_plan.COMPARISON_INPUTS`` order)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import ColumnExpression

    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_description="French phone numbers in E.164",
        comparison_levels=[
            cll.NullLevel("phone"),
            cll.ExactMatchLevel("phone").configure(label_for_charts="same phone"),
            cll.LevenshteinLevel("phone", 1).configure(label_for_charts="one digit off"),
            cll.ElseLevel().configure(label_for_charts="different phone"),
        ],
    )
    email = cl.CustomComparison(
        output_column_name="email",
        comparison_description="standardised e-mail addresses",
        comparison_levels=[
            cll.NullLevel("email"),
            cll.ExactMatchLevel("email").configure(label_for_charts="same email"),
            # m = u: the username repeats the name, which the name comparisons weigh
            cll.CustomLevel(
                "email_user_l = email_user_r and (email_user_is_name_l or email_user_is_name_r)"
            ).configure(
                label_for_charts="same name-made username, other domain",
                m_probability=0.01,
                u_probability=0.01,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            cll.ExactMatchLevel("email_user", term_frequency_adjustments=True).configure(
                label_for_charts="same username, other domain"
            ),
            cll.ElseLevel().configure(label_for_charts="different email"),
        ],
    )
    first_name = _name_comparison("first_name", "first name", letter_slip=True)
    # Splink's DateOfBirthComparison levels, where a typo is one level: one digit off or two
    # swapped (Damerau-Levenshtein, "1971" / "1917"), or day and month swapped
    as_text = ColumnExpression("birth_date").cast_to_string()
    birth_date = cl.CustomComparison(
        output_column_name="birth_date",
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date").configure(
                label_for_charts="Exact match on date of birth"
            ),
            cll.DamerauLevenshteinLevel(as_text, 1).configure(label_for_charts="one typo apart"),
            cll.CustomLevel(
                "year(birth_date_l) = year(birth_date_r) and month(birth_date_l) = "
                "day(birth_date_r) and day(birth_date_l) = month(birth_date_r)",
                label_for_charts="day and month swapped",
            ),
            cll.AbsoluteDateDifferenceLevel(
                "birth_date", input_is_string=False, threshold=1, metric="month"
            ).configure(label_for_charts="Abs date difference <= 1 month"),
            cll.AbsoluteDateDifferenceLevel(
                "birth_date", input_is_string=False, threshold=1, metric="year"
            ).configure(label_for_charts="Abs date difference <= 1 year"),
            cll.ElseLevel(),
        ],
    )
    last_name = _name_comparison("last_name", "last name")
    place = cl.CustomComparison(
        output_column_name="place",
        comparison_description="postcode and city",
        comparison_levels=[
            cll.CustomLevel(
                "(postcode_l is null or postcode_r is null) and (city_l is null or city_r is null)",
                label_for_charts="place unknown",
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="same postcode"),
            cll.ExactMatchLevel("city").configure(label_for_charts="same city"),
            cll.DamerauLevenshteinLevel("postcode", 1).configure(label_for_charts="postcode typo"),
            cll.ExactMatchLevel(ColumnExpression("postcode").substr(1, 2)).configure(
                label_for_charts="same departement"
            ),
            cll.ElseLevel().configure(label_for_charts="different place"),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_description="standardised address line",
        comparison_levels=[
            cll.NullLevel("address_line"),
            cll.ExactMatchLevel("address_line", term_frequency_adjustments=True).configure(
                label_for_charts="same address"
            ),
            cll.JaroWinklerLevel("address_line", 0.9).configure(label_for_charts="similar address"),
            cll.ElseLevel().configure(label_for_charts="different address"),
        ],
    )
    every = {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": birth_date,
        "email": email,
        "phone": phone,
        "place": place,
        "address": address,
    }
    return [every[name] for name in _plan.COMPARISON_INPUTS if name in kept]
