"""Standardisation presets for custom identifiers (national ids, CRM customer numbers).

A source definition declares an identifier as a strong identifier, as SQL over the raw row
or with a preset naming its standard form::

    strong_identifiers:
      national_id: {sql: ssn, standardise: us_ssn}
      crm_customer_number: {sql: "N° Client", standardise: alnum}

Each preset turns a value into its canonical text, or NULL when it cannot be one (so a
placeholder never links two people). Examples:
- ``digits``: ``12 34-56`` -> ``123456``
- ``alnum``: ``ab-12 c`` -> ``AB12C``
- ``us_ssn``: ``123-45-6789`` -> ``123456789``; ``000-12-3456``, ``666...``, ``9xx...`` -> NULL
- ``fr_nir``: ``1 85 05 78 006 084 36`` -> ``1850578006084`` (the 2-digit key dropped)
- ``uk_nino``: ``qq 12 34 56 c`` -> ``QQ123456C``
"""

from __future__ import annotations

PRESETS = ("text", "digits", "alnum", "us_ssn", "fr_nir", "uk_nino")


def identifier_sql(expr: str, preset: str) -> str:
    """SQL giving the canonical form of ``expr`` under ``preset`` (NULL when invalid)."""
    text = f"cast(({expr}) as varchar)"
    digits = f"regexp_replace({text}, '[^0-9]', '', 'g')"
    alnum = f"upper(regexp_replace({text}, '[^0-9A-Za-z]', '', 'g'))"
    if preset == "text":
        return f"nullif(trim({text}), '')"
    if preset == "digits":
        return f"nullif({digits}, '')"
    if preset == "alnum":
        return f"nullif({alnum}, '')"
    if preset == "us_ssn":
        # SSA rules: no area 000, 666 or 900-999, no group 00, no serial 0000
        return (
            f"case when regexp_full_match({digits}, "
            f"'(?:[0-8][0-9]{{2}})(?:[0-9]{{2}})(?:[0-9]{{4}})') "
            f"and left({digits}, 3) not in ('000', '666') and substr({digits}, 4, 2) <> '00' "
            f"and right({digits}, 4) <> '0000' and length({digits}) = 9 then {digits} end"
        )
    if preset == "fr_nir":
        # sex digit, then 12 digits (Corsica's 2A/2B kept as letters); the key is dropped
        return (
            f"case when regexp_full_match({alnum}, '[12378][0-9]{{4}}(?:[0-9]{{2}}|2A|2B)"
            f"[0-9]{{6}}(?:[0-9]{{2}})?') then left({alnum}, 13) end"
        )
    if preset == "uk_nino":
        return (
            f"case when regexp_full_match({alnum}, '[A-CEGHJ-PR-TW-Z]{{2}}[0-9]{{6}}[A-D]') "
            f"then {alnum} end"
        )
    raise ValueError(f"unknown identifier preset {preset!r}; use one of {list(PRESETS)}")
