"""Activation: golden-record exports and consented audiences for downstream tools.

`export.py` writes the golden records (full or incremental, CSV/Parquet/JSONL) with a manifest
and the JSON Schema of the rows (`schemas/`, generated from the pydantic model in
`golden_record.py`); `audiences.py` writes the audiences configured in
`config/exports.yml`, consented customers only. `export_files.py` and `export_dialect.py` hold
the file writing and the spreadsheet-safe CSV dialect both share; `export_cli.py` is
`cdp export`.
"""


def export_golden_records(settings, mode: str = "incremental", formats=None):
    """Export golden records (full or incremental) with a manifest; see activation.export."""
    from activation.export import export_golden_records as _export

    return _export(settings, mode=mode, formats=formats)


def export_audiences(settings, names=None):
    """Export the audiences configured in exports.yml, consented customers only."""
    from activation.audiences import export_audiences as _export

    return _export(settings, names=names)
