"""Data-subject rights: erase a person everywhere (`erase.forget`), hand over what is held
(`access.access`).

`person.py` finds a person by any spelling of their identifiers, `rows.py` the rows that are
theirs in every table, `files.py` their identifiers quoted in files and reports; `cli.py` is
`cdp privacy`. The erasure keys, salts and tombstones that ingestion also reads are in
`core.erasure`.
"""
