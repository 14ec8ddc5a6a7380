"""Country codes as configuration gives them: ISO 3166 alpha-2, checked against the regions
`phonenumbers` knows (every region that has phone numbers, FR, GB, US, DE, ...)."""

from __future__ import annotations


def check_country(value: str | None) -> str | None:
    """The code upper-cased, or None; ValueError naming the value when it is not one."""
    if value is None:
        return None
    import phonenumbers

    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"country {value!r} is not an ISO 3166 alpha-2 code (FR, GB, US, DE, ...)")
    return code
